import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { spawnSwitchyard } from '../../testing/serve-process.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** What `switchyard sim CLOUD` prints once it listens (its whole banner, or what came in 3 s after the first line). */
async function startedSim(cloud: string): Promise<{ out: string; stop: () => Promise<number | null> }> {
  const child = spawnSwitchyard(['sim', cloud, '--port', '0'], 'pipe');
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  cleanup.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => reject(new Error(`sim ${cloud} exited: ${out}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Faults: ')) resolve();
      else if (out.includes('listening at')) setTimeout(resolve, 3_000);
    });
  });
  return {
    out,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('switchyard sim: what a deployment needs to reach it', () => {
  it('prints, for every cloud, a config with the credentials its simulator takes, and a gateway on it is answered', async () => {
    const sims = await Promise.all(['openai', 'bedrock', 'azure', 'anthropic', 'vertex'].map(async (cloud) => ({ cloud, ...(await startedSim(cloud)) })));
    for (const { cloud, out } of sims) {
      // The YAML is the paragraph between the banner's blank lines.
      const yaml = out.split('\n\n')[1] ?? '';
      const parsed = parseConfig(parse(yaml), {});
      if (!parsed.ok) throw new Error(`sim ${cloud}: ${JSON.stringify(parsed.problems)}`);
      expect(parsed.config.deployments, cloud).toHaveLength(1);
      const gateway = createGateway(parsed.config);
      try {
        const { response } = await gateway.chat({ model: 'chat', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });
        expect(JSON.stringify(response.content), cloud).toContain('Hello from');
      } finally {
        await gateway.close();
      }
    }
    const bedrock = sims.find((s) => s.cloud === 'bedrock')?.out ?? '';
    expect(bedrock).toContain('access_key_id: AKIDSIMULATOR0000001');
    expect(bedrock).toContain('secret_access_key: sim/secret/key/for/tests/only/000000000');
    // The Vertex simulator's throwaway service account goes when it stops.
    const keyFile = /credentials_file: file:(\S+)/.exec(sims.find((s) => s.cloud === 'vertex')?.out ?? '')?.[1] ?? '';
    expect(existsSync(keyFile)).toBe(true);
    expect(await Promise.all(sims.map((s) => s.stop()))).toEqual([0, 0, 0, 0, 0]);
    expect(existsSync(keyFile)).toBe(false);
  }, 60_000);
});
