import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parse } from 'yaml';
import { parseConfig } from '../../config/load.js';
import { spawnSwitchyard } from '../../testing/serve-process.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

describe('switchyard demo: its config, for drill and consistency', () => {
  it('exits 1 when the --port it was given is taken, rather than hanging on with its simulators', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    cleanup.push(() => taken.close());
    const port = (taken.address() as AddressInfo).port;
    const child = spawnSwitchyard(['demo', '--port', String(port), '--quiet'], 'pipe', mkdtempSync(join(tmpdir(), 'demo-taken-')));
    cleanup.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    expect(await new Promise((r) => child.once('exit', r))).toBe(1);
    expect(err).toContain(`switchyard demo: cannot listen on 127.0.0.1:${port}: the port is in use; leave out --port to take a free one`);
    expect(err).not.toContain('EADDRINUSE');
  }, 20_000);

  it('exits 1 in demo terms when it cannot write its .switchyard/ folder where it runs, rather than hanging on with its simulators', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-unwritable-'));
    // A file where the demo's folder would go: refused as a folder root may not write in is refused.
    writeFileSync(join(dir, '.switchyard'), 'not a folder');
    const child = spawnSwitchyard(['demo', '--port', '0', '--quiet'], 'pipe', dir);
    cleanup.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    expect(await new Promise((r) => child.once('exit', r))).toBe(1);
    expect(err.trim()).toBe(
      "switchyard demo: cannot keep the demo's ledger in .switchyard/ (cannot use .switchyard/demo-ledger.sqlite: a part of its path is a file, not a directory); the demo writes .switchyard/ in the directory it runs in: run it in one you may write to",
    );
  }, 20_000);

  it('--show-config prints only the running demo\'s YAML on stdout (notes on stderr), and --write-config writes the same file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-config-'));
    const child = spawnSwitchyard(['demo', '--port', '0', '--show-config', '--write-config', 'demo.yaml', '--quiet'], 'pipe', dir);
    cleanup.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        if (err.includes('Press Ctrl+C to stop.')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`demo exited (${code}): ${err}`)));
    });

    expect(err).toContain('Switchyard demo is running at');
    expect(err).toContain('npx switchyard drill -c demo.yaml --group multicloud');
    expect(err).not.toMatch(/^\s*\/\//m);
    expect(err).toContain('429 with code rate_limit_exceeded (type rate_limit_error)');
    expect(err).toContain('a call to the first tool when the\nrequest has tools and the prompt contains "call the tool"');
    // stdout and stderr are separate pipes: the YAML may arrive after the last note.
    const problems = (): unknown => {
      try {
        const parsed = parseConfig(parse(out), {});
        return parsed.ok ? [] : parsed.problems;
      } catch (e) {
        return (e as Error).message;
      }
    };
    await expect.poll(problems, { timeout: 5_000 }).toEqual([]);
    expect(readFileSync(join(dir, 'demo.yaml'), 'utf8')).toBe(out.replace(/\n$/, ''));
    // The simulators and the gateway the YAML names are this demo's, listening now.
    const yaml = parse(out) as { server: { host: string; port: number }; deployments: Array<{ endpoint?: string }> };
    const res = await request(`http://${yaml.server.host}:${yaml.server.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'multicloud', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const sim = yaml.deployments.find((d) => d.endpoint)?.endpoint as string;
    const simRes = await request(new URL(sim).origin);
    await simRes.body.text();
    expect(simRes.statusCode).toBeLessThan(500);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
