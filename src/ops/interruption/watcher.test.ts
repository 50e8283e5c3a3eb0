import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { startMetadataSim, type MetadataSim } from '../../sim/metadata/index.js';
import type { InterruptionNotice } from './notice.js';
import { InterruptionWatcher } from './watcher.js';

let sim: MetadataSim;
const watchers: InterruptionWatcher[] = [];
beforeAll(async () => {
  sim = await startMetadataSim({ azureVmName: 'gw-vm-3' });
});
afterAll(() => sim.close());
afterEach(() => watchers.splice(0).forEach((w) => w.stop()));

/** A watcher on the simulator; resolves the notices it delivered once one was handled. */
function watch(provider: 'aws' | 'gcp' | 'azure' | 'auto', onNotice: (n: InterruptionNotice) => Promise<void> | void = () => undefined) {
  const notices: InterruptionNotice[] = [];
  const w = new InterruptionWatcher({ provider, metadata_url: sim.url, poll_ms: 100 }, { logger: silentLogger, now: () => 1_000, onNotice: async (n) => {
    notices.push(n);
    await onNotice(n);
  } });
  watchers.push(w);
  return { w, notices };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('interruption watcher against the metadata simulator', () => {
  it('AWS: asks for an IMDSv2 token first, then reports the spot instance-action with its time', async () => {
    const { w, notices } = watch('aws');
    expect(await w.start()).toBe('aws');
    await wait(250);
    expect(notices).toEqual([]);
    expect(sim.awsTokensIssued()).toBeGreaterThan(0);
    sim.awsInterrupt('terminate', new Date('2030-01-01T00:02:00Z'));
    expect(await w.handled).toEqual({ cloud: 'aws', kind: 'terminate', deadline: Date.parse('2030-01-01T00:02:00Z') });
    await wait(250);
    expect(notices).toHaveLength(1);
  });

  it("AWS: takes a rebalance recommendation for a warning, logged once, and drains only on the instance-action", async () => {
    const warned: string[] = [];
    const logger = { ...silentLogger, warn: (_o: object, msg: string) => void warned.push(msg) };
    const notices: InterruptionNotice[] = [];
    // A machine of its own: the shared simulator's AWS already posted an instance-action.
    const own = await startMetadataSim();
    try {
      const w = new InterruptionWatcher({ provider: 'aws', metadata_url: own.url, poll_ms: 50 }, { logger, now: () => 1_000, onNotice: (n) => void notices.push(n) });
      watchers.push(w);
      own.awsRebalance(new Date('2030-01-01T00:00:00Z'));
      expect(await w.start()).toBe('aws');
      await wait(300);
      expect(notices).toEqual([]);
      expect(warned.filter((m) => m.includes('at risk of interruption'))).toHaveLength(1);
      own.awsInterrupt('stop', new Date('2030-01-01T00:02:00Z'));
      expect(await w.handled).toEqual({ cloud: 'aws', kind: 'stop', deadline: Date.parse('2030-01-01T00:02:00Z') });
    } finally {
      await own.close();
    }
  });

  it('GCP: reports a preemption (instance/preempted TRUE) on a Compute Engine VM with its 30-second deadline, less one poll interval', async () => {
    const { w } = watch('gcp');
    expect(await w.start()).toBe('gcp');
    sim.gcpPreempt();
    // now() is 1 s and the poll 100 ms: the notice may have been up since 0.9 s. The simulator is no GKE node (404).
    expect(await w.handled).toEqual({ cloud: 'gcp', kind: 'preempt', deadline: 30_900 });
  });

  it("Azure: ignores other VMs' and non-interrupting events, reports a Preempt for this VM and acknowledges it after the drain", async () => {
    const order: string[] = [];
    const { w } = watch('azure', async () => {
      await wait(50);
      order.push('drained');
    });
    expect(await w.start()).toBe('azure');
    sim.azureSchedule('Preempt', new Date('2030-01-01T00:00:30Z'), ['another-vm']);
    sim.azureSchedule('Reboot', new Date('2030-01-01T00:00:30Z'));
    await wait(250);
    const id = sim.azureSchedule('Preempt', new Date('2030-01-01T00:00:30Z'));
    const notice = await w.handled;
    order.push(`acknowledged ${sim.azureAcknowledged.join(',')}`);
    expect(notice).toEqual({ cloud: 'azure', kind: 'preempt', deadline: Date.parse('2030-01-01T00:00:30Z') });
    expect(order).toEqual(['drained', `acknowledged ${id}`]);
  });

  it('auto: watches the first cloud whose metadata service answers', async () => {
    // The simulator answers all three; AWS is asked first.
    expect(await watch('auto').w.start()).toBe('aws');
  });

  it('auto: watches nothing when no metadata service answers', async () => {
    const w = new InterruptionWatcher({ provider: 'auto', metadata_url: 'http://127.0.0.1:9', poll_ms: 100 }, { logger: silentLogger, onNotice: () => undefined });
    watchers.push(w);
    expect(await w.start()).toBeUndefined();
  });
});
