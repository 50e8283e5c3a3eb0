import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatewayConfig } from '../config/schema.js';
import { ConfigError, resolveConfig } from '../config/load.js';
import { silentLogger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { AppHolder, type Reloadable } from './reload.js';
import { holderGateway } from './holder-gateway.js';
import { holdEnd } from '../core/ready.js';
import { userRequest } from '../testing/canonical.js';
import type { AdmissionControl } from '../core/events.js';
import { MISMATCHES_SHOWN, type KeyMismatch } from '../governance/keys/store.js';

const configWith = (...ids: string[]): GatewayConfig =>
  resolveConfig({ deployments: ids.map((id) => rawDeployment(id)), groups: [{ name: 'chat', deployments: ids }] });

/** Every request is admitted with this header, as a rate limiter's `x-ratelimit-*`. */
const admission: AdmissionControl = { admit: () => ({ release: () => undefined, headers: { 'x-ratelimit-remaining-requests': '41' } }) };

/** The virtual keys the next app built finds its config does not fit, as its KeyStore reports them. */
let mismatched: KeyMismatch[] = [];

class TestApp implements Reloadable {
  readonly gateway: Gateway;
  readonly governance = { keys: { mismatches: (limit: number): KeyMismatch[] => this.mismatched.slice(0, limit), mismatchCount: mismatched.length } };
  private readonly mismatched = mismatched;
  closed = false;
  /** Attempts settled as ok, as cancelled (a stream closed before its end) and as errors. */
  ok = 0;
  cancelled = 0;
  errored = 0;
  constructor(config: GatewayConfig) {
    this.gateway = createGateway(config, {
      createProvider: (d) => new FakeProvider(d.id),
      admission,
      observers: [
        {
          onAttempt: (r) => {
            if (r.outcome === 'ok') this.ok += 1;
            if (r.outcome === 'cancelled') this.cancelled += 1;
            if (r.outcome === 'error') this.errored += 1;
          },
        },
      ],
    });
  }
  async close(): Promise<void> {
    this.closed = true;
    await this.gateway.close();
  }
}

let next: () => GatewayConfig;
const built: TestApp[] = [];
function holder(first: GatewayConfig, retireAfterMs = 60_000, logger = silentLogger): AppHolder<TestApp> {
  const app = new TestApp(first);
  built.push(app);
  return new AppHolder(app, {
    load: () => next(),
    build: async (c) => {
      const a = new TestApp(c);
      built.push(a);
      return a;
    },
    logger,
    retireAfterMs,
  });
}

const hello = userRequest('chat', 'hi');

afterEach(async () => {
  vi.useRealTimers();
  mismatched = [];
  await Promise.all(built.splice(0).map((a) => a.close()));
});

describe('config reload', () => {
  it('sends new requests to the new config; a request in flight finishes on the old one, which closes after it', async () => {
    const h = holder(configWith('a'));
    const inFlight = h.enter();
    next = () => configWith('b');
    expect(await h.reload()).toEqual({
      reloaded: true,
      deployments: 1,
      restartRequired: [],
      keysNotMatching: [],
      keysNotMatchingTotal: 0,
      changes: { summary: '3 changes in deployments, groups', sections: ['deployments', 'groups'], added: ['deployments.b'], removed: ['deployments.a'], changed: [{ path: 'groups.chat.deployments' }], more: 0 },
    });
    expect((await h.current.gateway.chat({ ...hello })).servedBy.deployment).toBe('b');
    // The old generation still serves the request that started on it.
    expect((await inFlight.app.gateway.chat({ ...hello })).servedBy.deployment).toBe('a');
    expect(inFlight.app.closed).toBe(false);
    h.leave(inFlight);
    await vi.waitFor(() => expect(inFlight.app.closed).toBe(true));
    expect(h.current.closed).toBe(false);
  });

  it('keeps the running config and says why when the new file is invalid', async () => {
    const h = holder(configWith('a'));
    const before = h.current;
    next = () => {
      throw new ConfigError('gateway.yaml', [{ path: 'deployments[0].model', message: 'Required' }]);
    };
    await expect(h.reload()).rejects.toMatchObject({ status: 422, code: 'invalid_config', message: expect.stringContaining('deployments[0].model: Required') });
    expect(h.current).toBe(before);
    expect(before.closed).toBe(false);
  });

  it('closes the old generation after retireAfterMs even if a request never leaves', async () => {
    vi.useFakeTimers();
    const h = holder(configWith('a'), 5_000);
    const stuck = h.enter();
    next = () => configWith('b');
    await h.reload();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(stuck.app.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stuck.app.closed).toBe(true);
  });

  it('keeps an operator drain across a reload, and names the sections only a restart applies, against what the process started with', async () => {
    const h = holder(configWith('a', 'b'));
    h.current.gateway.drain('a', { reason: 'runbook' });
    const moved = { ...configWith('a', 'b'), server: { ...configWith('a').server, port: 9999 } };
    next = () => moved;
    expect((await h.reload()).restartRequired).toEqual(['server']);
    // The log level and the spot-interruption watcher are set up once too; upstream_error_text applies at once.
    // The port still waits for a restart: the process listens where it started.
    next = () => ({ ...moved, logging: { level: 'error', upstream_error_text: true }, interruption: { ...moved.interruption, provider: 'aws' } });
    expect((await h.reload()).restartRequired).toEqual(['server', 'logging.level', 'interruption']);
    // Back to what it started with: nothing waits for a restart.
    next = () => ({ ...configWith('a', 'b'), logging: { ...configWith('a').logging, upstream_error_text: true } });
    expect((await h.reload()).restartRequired).toEqual([]);
    expect(h.current.gateway.status().deployments.find((d) => d.id === 'a')?.drain).toMatchObject({ drained: true, reason: 'runbook' });
  });
});

describe('reloads asked for while one runs', () => {
  /** A holder whose next build waits for `release` (the reload in progress); every file read is counted. */
  function heldHolder(first: GatewayConfig) {
    let release = (): void => undefined;
    let held: Promise<void> | undefined = new Promise<void>((r) => (release = r));
    const reads: string[][] = [];
    const h = new AppHolder(new TestApp(first), {
      load: () => {
        const c = next();
        reads.push(c.deployments.map((d) => d.id));
        return c;
      },
      build: async (c) => {
        const waiting = held;
        held = undefined;
        await waiting;
        const a = new TestApp(c);
        built.push(a);
        return a;
      },
      logger: silentLogger,
      retireAfterMs: 60_000,
    });
    built.push(h.current);
    return { h, reads, release: () => release() };
  }

  it('reads the file once more after the running reload, so the process ends on the newest file and each answer says what it applied', async () => {
    const { h, reads, release } = heldHolder(configWith('a'));
    next = () => configWith('a', 'b');
    const first = h.reload();
    // The file changes while the first reload builds from what it read.
    next = () => configWith('b');
    const second = h.reload();
    const third = h.reload();
    release();
    expect((await first).changes).toMatchObject({ added: ['deployments.b'], removed: [] });
    // The second answer is the reload that read the file after it was asked for: it removed `a`.
    expect((await second).changes).toMatchObject({ added: [], removed: ['deployments.a'] });
    expect(await third).toBe(await second);
    expect(reads).toEqual([['a', 'b'], ['b']]);
    expect(h.current.gateway.config.deployments.map((d) => d.id)).toEqual(['b']);
  });

  it('runs the queued reload even when the running one is refused (the file was fixed meanwhile)', async () => {
    next = () => configWith('a', 'b');
    const failing = new AppHolder(new TestApp(configWith('a')), {
      load: () => next(),
      build: async (c) => {
        if (c.deployments.length === 2) throw new ConfigError('gateway.yaml', [{ path: 'deployments[1].model', message: 'Required' }]);
        const a = new TestApp(c);
        built.push(a);
        return a;
      },
      logger: silentLogger,
      retireAfterMs: 60_000,
    });
    built.push(failing.current);
    const refused = failing.reload();
    next = () => configWith('c');
    const fixed = failing.reload();
    await expect(refused).rejects.toMatchObject({ status: 422 });
    expect((await fixed).changes).toMatchObject({ added: ['deployments.c'], removed: ['deployments.a'] });
    expect(failing.current.gateway.config.deployments.map((d) => d.id)).toEqual(['c']);
  });

  it('a reload asked for after the last one ended reads the file again on its own', async () => {
    const { h, reads, release } = heldHolder(configWith('a'));
    next = () => configWith('b');
    release();
    await h.reload();
    next = () => configWith('c');
    await h.reload();
    expect(reads).toEqual([['b'], ['c']]);
  });
});

describe('what a reload says changed', () => {
  const keyed = (key: string, strategy: 'priority' | 'weighted' = 'priority'): GatewayConfig =>
    resolveConfig({ deployments: [rawDeployment('primary-oa', { api_key: key }), rawDeployment('backup')], groups: [{ name: 'chat', strategy, deployments: ['primary-oa', 'backup'] }] }, {});

  it('answers and logs the changed paths; a new upstream key is named by its path, its value in neither', async () => {
    const lines: unknown[] = [];
    const h = holder(keyed('sk-upstream-before-reload-111'), 60_000, { ...silentLogger, warn: (obj: unknown) => void lines.push(obj) });
    next = () => keyed('sk-upstream-after-reload-222', 'weighted');
    const done = await h.reload();
    const expected = { sections: ['deployments', 'groups'], added: [], removed: [], changed: [{ path: 'deployments.primary-oa.api_key' }, { path: 'groups.chat.strategy', from: 'priority', to: 'weighted' }], more: 0 };
    expect(done.changes).toMatchObject(expected);
    expect(lines).toEqual([expect.objectContaining({ changes: done.changes, audit: true })]);
    const said = JSON.stringify([done, lines]);
    for (const secret of ['sk-upstream-before-reload-111', 'sk-upstream-after-reload-222']) expect(said).not.toContain(secret);
  });

  it('says nothing changed for a reload of the same file', async () => {
    const lines: Array<{ changes: { summary: string } }> = [];
    const h = holder(configWith('a'), 60_000, { ...silentLogger, warn: (obj: unknown) => void lines.push(obj as (typeof lines)[number]) });
    next = () => configWith('a');
    expect((await h.reload()).changes).toEqual({ summary: 'nothing changed', sections: [], added: [], removed: [], changed: [], more: 0 });
    expect(lines[0]?.changes.summary).toBe('nothing changed');
  });
});

describe('config reload and virtual keys', () => {
  it('answers with each virtual key the new config no longer fits, by id, and logs their ids with the reload', async () => {
    const lines: unknown[] = [];
    const h = holder(configWith('a'), 60_000, { ...silentLogger, warn: (obj: unknown) => void lines.push(obj) });
    mismatched = [{ id: '0123456789ab', problems: ['residency: no deployment this key may use is tagged "eu", ...'] }];
    next = () => configWith('b');
    const done = await h.reload();
    expect(done.keysNotMatching).toEqual(mismatched);
    expect(lines).toEqual([expect.objectContaining({ keysNotMatching: ['0123456789ab'], keysNotMatchingTotal: 1 })]);
  });

  it('lists the first MISMATCHES_SHOWN of 100,000 stranded keys, with their count, in its answer and its log line', async () => {
    const lines: Array<{ keysNotMatching: string[]; keysNotMatchingTotal: number }> = [];
    const h = holder(configWith('a'), 60_000, { ...silentLogger, warn: (obj: unknown) => void lines.push(obj as (typeof lines)[number]) });
    mismatched = Array.from({ length: 100_000 }, (_, i) => ({ id: i.toString(16).padStart(12, '0'), problems: ['residency: ...'] }));
    next = () => configWith('b');
    const done = await h.reload();
    expect(done.keysNotMatching).toEqual(mismatched.slice(0, MISMATCHES_SHOWN));
    expect(done.keysNotMatchingTotal).toBe(100_000);
    expect(lines[0]?.keysNotMatching).toEqual(mismatched.slice(0, MISMATCHES_SHOWN).map((m) => m.id));
    expect(lines[0]?.keysNotMatchingTotal).toBe(100_000);
    expect(JSON.stringify(done).length).toBeLessThan(10_000);
  });
});

describe('holderGateway', () => {
  it('finishes a stream that started before a reload on the old config, then closes the old generation', async () => {
    const h = holder(configWith('a'));
    const old = h.current;
    const gateway = holderGateway(h);
    const streamed = await gateway.stream({ ...hello });
    expect(streamed.servedBy.deployment).toBe('a');
    next = () => configWith('b');
    await h.reload();
    expect((await gateway.chat({ ...hello })).servedBy.deployment).toBe('b');
    expect(gateway.config.deployments.map((d) => d.id)).toEqual(['b']);
    expect(old.closed).toBe(false);
    const parts: string[] = [];
    for await (const p of streamed.parts) parts.push(p.type);
    expect(parts).toContain('finish');
    await vi.waitFor(() => expect(old.closed).toBe(true));
  });

  it('passes a stream on whole, not just its parts: the admission headers (x-ratelimit-*) reach the client', async () => {
    const h = holder(configWith('a'));
    const streamed = await holderGateway(h).stream({ ...hello });
    expect(streamed.headers).toEqual({ 'x-ratelimit-remaining-requests': '41' });
    for await (const _ of streamed.parts) void _;
  });

  it('a stream returned before its first part closes the upstream stream and still leaves its generation', async () => {
    const h = holder(configWith('a'));
    const old = h.current;
    const streamed = await holderGateway(h).stream({ ...hello });
    next = () => configWith('b');
    await h.reload();
    // The client went away before the answer: nothing is read, the stream is only returned.
    await streamed.parts[Symbol.asyncIterator]().return?.();
    expect(old.cancelled).toBe(1);
    await vi.waitFor(() => expect(old.closed).toBe(true));
  });

  it('passes a failure thrown into the parts (an encoder of ours failing) on to the stream, which settles as an error, and leaves', async () => {
    const h = holder(configWith('a'));
    const old = h.current;
    const streamed = await holderGateway(h).stream({ ...hello });
    const parts = streamed.parts[Symbol.asyncIterator]();
    expect((await parts.next()).done).toBe(false);
    next = () => configWith('b');
    await h.reload();
    await expect(parts.throw?.(new Error('encoder broke'))).rejects.toThrow();
    expect(old.errored).toBe(1);
    await vi.waitFor(() => expect(old.closed).toBe(true));
  });

  it('holds the end of a stream whose consumer confirms it (a front door): the generation is left once it took the end, or failed on it', async () => {
    const h = holder(configWith('a'));
    const old = h.current;
    const read = async (): Promise<AsyncIterator<unknown>> => {
      const parts = (await holderGateway(h).stream({ ...hello })).parts[Symbol.asyncIterator]();
      holdEnd(parts);
      for (let r = await parts.next(); !r.done; r = await parts.next());
      return parts;
    };
    const taken = await read();
    const failed = await read();
    next = () => configWith('b');
    await h.reload();
    expect([old.ok, old.errored, old.closed]).toEqual([0, 0, false]);
    await taken.return?.();
    await expect(failed.throw?.(new Error('closing frames broke'))).rejects.toThrow();
    expect([old.ok, old.errored]).toEqual([1, 1]);
    await vi.waitFor(() => expect(old.closed).toBe(true));
  });
});
