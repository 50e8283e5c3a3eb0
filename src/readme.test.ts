import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from './index.js';
import { startOpenAISim } from './sim/openai/index.js';
import type { SimServer } from './sim/server.js';

/** The README's "Library" snippet, as a reader pastes it (it failed once: a deployment id where a group was needed). */
function librarySnippet(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /## Library\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no Library code block');
  return block;
}

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
    const run = new (Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>)('lib', 'process', 'console', code);
    await run(lib, io, { log: (...a: unknown[]) => log.push(a.join(' ')) });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/ llama$/);
    expect(printed.length).toBeGreaterThan(0);
  });
});
