import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startDemo } from './demo.js';
import { demoBanner } from './commands/demo.js';

/** Listening TCP servers of this process: the demo's five simulators are five. */
const listening = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

describe('startDemo when its ledger cannot be made', () => {
  it('closes every simulator it started and says so in demo terms, not as an invalid config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
    const aFile = join(dir, 'a-file');
    writeFileSync(aFile, 'not a folder');
    const before = listening();
    const failed = await startDemo({ port: 0, dataDir: join(aFile, '.switchyard') }).then(
      async (demo) => {
        await demo.close();
        throw new Error('the demo started');
      },
      (err: unknown) => err as Error,
    );
    expect(failed.message).toBe(
      `cannot keep the demo's ledger in ${join(aFile, '.switchyard')}/ (cannot use ${join(aFile, '.switchyard', 'demo-ledger.sqlite')}: a part of its path is a file, not a directory); the demo writes ${join(aFile, '.switchyard')}/ in the directory it runs in: run it in one you may write to`,
    );
    // A closed server's handle goes at the loop's next turn.
    await expect.poll(listening, { timeout: 2_000 }).toBe(before);
  });
});

describe('startDemo when its port is taken', () => {
  it('listens on a free port instead and says which port was taken and which it uses, first thing', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const demo = await startDemo({ preferredPort: port, dataDir: mkdtempSync(join(tmpdir(), 'switchyard-demo-')) });
      try {
        expect(demo.portTaken).toBe(port);
        expect(demo.server.port).not.toBe(port);
        expect(demoBanner(demo, undefined)[0]).toBe(`Port ${port} is taken (another demo or server still running?), so this demo uses port ${demo.server.port} instead.`);
      } finally {
        await demo.close();
      }
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('says nothing of ports when it got the one it wanted', async () => {
    const demo = await startDemo({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'switchyard-demo-')) });
    try {
      expect(demo.portTaken).toBeUndefined();
      expect(demoBanner(demo, undefined)[0]).toBe(`Switchyard demo is running at ${demo.server.url}`);
    } finally {
      await demo.close();
    }
  });
});
