import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from './index.js';
import { startDemo } from './cli/demo.js';
import { main } from './cli/main.js';
import { startOpenAISim } from './sim/openai/index.js';
import type { SimServer } from './sim/server.js';

/** The first `ts` code block after `heading` in the README, as a reader pastes it. */
function snippetAfter(heading: string): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  const block = at < 0 ? undefined : /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  if (block === undefined) throw new Error(`README.md has no ts code block under "${heading}"`);
  return block;
}

/** Runs a snippet as an async function body with these globals. */
async function runSnippet(code: string, globals: Record<string, unknown>): Promise<void> {
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction(...Object.keys(globals), code)(...Object.values(globals));
}

/** The README's "Library" snippet (it failed once: a deployment id where a group was needed). */
const librarySnippet = (): string => snippetAfter('## Library');

describe("the README's Library snippet", () => {
  let sim: SimServer;
  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'readme', models: ['llama3'] });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('runs as written against a local OpenAI-compatible server', async () => {
    const code = librarySnippet()
      .replace(/^import \{([^}]*)\} from 'switchyard';$/m, 'const {$1} = lib;')
      .replace('http://127.0.0.1:11434/v1', `${sim.url}/v1`);
    let printed = '';
    const io = { stdout: { write: (s: string) => (printed += s) } };
    const log: string[] = [];
    await runSnippet(code, { lib, process: io, console: { log: (...a: unknown[]) => log.push(a.join(' ')) } });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/ llama$/);
    expect(printed.length).toBeGreaterThan(0);
  });
});

describe("the README's Anthropic SDK snippet", () => {
  it('runs as written against the demo', async () => {
    const demo = await startDemo({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'readme-demo-')) });
    try {
      const code = snippetAfter('### Claude Code and the Anthropic SDK')
        .replace(/^import Anthropic from '@anthropic-ai\/sdk';$/m, '')
        .replace('http://127.0.0.1:4000', demo.server.url);
      const log: unknown[] = [];
      await runSnippet(code, { Anthropic, process: { env: {} }, console: { log: (x: unknown) => log.push(x) } });
      expect(log).toEqual([[expect.objectContaining({ type: 'text' })]]);
    } finally {
      await demo.close();
    }
  });
});

/** The flags (`-c`, `--port`) a command line shows. */
const flagsOf = (line: string): string[] => [...line.matchAll(/(?<![\w-])(--?[a-z][\w-]*)/g)].map((m) => m[1] ?? '');

describe("the README's CLI section", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /\n## CLI\n+```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  // Each line: the command as typed, then (after a gap of spaces) what it does.
  const lines = block.split('\n').filter((l) => l.startsWith('switchyard ')).map((l) => l.split(/ {2,}/)[0] ?? '');

  it("shows each command's flags as its usage line does, all of them unless the line ends in [...]", async () => {
    expect(lines.length).toBeGreaterThanOrEqual(10);
    for (const line of lines) {
      const name = line.split(' ')[1] ?? '';
      const help: string[] = [];
      expect(await main(['help', name], { out: (l) => help.push(l), err: () => undefined, env: {} }), line).toBe(0);
      const usage = new Set(flagsOf(/^usage: (.*)$/m.exec(help.join('\n'))?.[1] ?? ''));
      const shown = new Set(flagsOf(line));
      expect([...shown].filter((f) => !usage.has(f)), `${line}: flags the command does not take`).toEqual([]);
      if (!line.endsWith('[...]')) expect([...usage].filter((f) => !shown.has(f)), `${line}: flags left out`).toEqual([]);
    }
  });
});
