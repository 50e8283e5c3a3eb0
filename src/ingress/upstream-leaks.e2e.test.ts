import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { createApp, type App } from '../app.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { startAnthropicSim } from '../sim/anthropic/index.js';
import { startAzureSim } from '../sim/azure/index.js';
import { SIM_CREDENTIALS, startBedrockSim } from '../sim/bedrock/index.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { createSimServiceAccount } from '../sim/vertex/credentials.js';
import { startVertexSim } from '../sim/vertex/index.js';

/*
 * A security review's spec: every provider type's simulator answers errors (every status a client might
 * meet, and an in-stream error after the first text) whose words quote credentials, through every
 * front door, each driven by its official SDK against the real server. The deployments expose the
 * upstream's words to clients and the log keeps them (the riskiest settings): the words must arrive,
 * and no credential with them, in any answer, stream or log line.
 */

const PROJECT = 'leak-project';
const GATEWAY_KEY = 'gw-leak-review-key-0123456789';
const OPENAI_KEY = 'sk-proj-LEAKopenaiKEY0123456789';
const AZURE_KEY = '4d2c9e7a1b3f5d8e0a6c2b4d9f1e3a5c';
const ANTHROPIC_KEY = 'sk-ant-api03-LEAKanthropicKEY0123456789';
// Credentials a deployment sends in its own `headers` (a proxy in front of an OpenAI-compatible server).
const HEADER_KEY = 'hk-9Zt4Qw7Er2Ty6Ui1';
const PROXY_TOKEN = 'pxy-7Hq2Lm9Rt4Vw3Bn';
/** Words with no credential in them, to tell the upstream's text from our own. */
const MARK = 'Request refused by policy LEAKMARK';
// Credentials nobody configured, in the shapes upstreams quote them.
const FOREIGN = [
  'sk-proj-ForeignKey0123456789abcdef',
  'Bearer opaqueForeignBearer0123',
  'AKIAFOREIGN012345678',
  'ya29.a0ForeignGoogleToken_0123',
  // URL parsers take an unescaped @ in a password as part of it: the host follows the last one.
  'https://svc-user:p@ss-Foreign-w0rd@db.internal.example/x',
  'Cookie: sid=CookieForeign0123; theme=dark',
  'https://TokenOnlyForeign0123xyzABC@git.example/r.git',
  // A zero-width space inside a key, and a URL percent-encoded in a query: each hid one from the patterns.
  'sk-proj-ZeroWidth\u200BForeign0123456',
  'next=https%3A%2F%2Fsvc%3AEncodedForeign0123%40db.internal.example',
];
/** The secret part of each foreign credential: what must never be seen again. */
const FOREIGN_SECRETS = [
  'ForeignKey0123456789abcdef',
  'opaqueForeignBearer0123',
  'AKIAFOREIGN012345678',
  'a0ForeignGoogleToken_0123',
  'ss-Foreign-w0rd',
  'CookieForeign0123',
  'TokenOnlyForeign0123xyzABC',
  'ZeroWidth',
  'EncodedForeign0123',
];
const STATUSES = [400, 401, 403, 404, 413, 422, 429, 500, 503];

interface Target {
  id: string;
  sim: keyof Sims;
  model: string;
  /** The deployment's own credentials, which its upstream could quote. */
  own: string[];
}

interface Sims {
  openai: SimServer;
  proxied: SimServer;
  azure: SimServer;
  bedrock: SimServer;
  vertex: SimServer;
  anthropic: SimServer;
}

const TARGETS: readonly Target[] = [
  { id: 'openai', sim: 'openai', model: 'gpt-4o-mini', own: [OPENAI_KEY] },
  { id: 'proxied', sim: 'proxied', model: 'gpt-4o-mini', own: [HEADER_KEY, PROXY_TOKEN] },
  { id: 'azure', sim: 'azure', model: 'gpt-4o', own: [AZURE_KEY] },
  { id: 'bedrock', sim: 'bedrock', model: 'anthropic.claude-3-5-haiku-20241022-v1:0', own: [SIM_CREDENTIALS.accessKeyId, SIM_CREDENTIALS.secretAccessKey] },
  { id: 'gemini', sim: 'vertex', model: 'gemini-2.5-flash', own: [] },
  { id: 'vertex-claude', sim: 'vertex', model: 'claude-sonnet-4-5@20250929', own: [] },
  { id: 'anthropic', sim: 'anthropic', model: 'claude-sonnet-4-6', own: [ANTHROPIC_KEY] },
];

/** The error text an upstream at its most careless writes: the marker, the deployment's own keys and foreign ones. */
const carelessText = (t: Target): string => `${MARK}. Keys seen: ${[...t.own, ...FOREIGN].join(' , ')} .`;

function capturingLogger(lines: string[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const log = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, ...bindings, ...obj, msg }));
    return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  return make({});
}

describe('upstream error words reach clients and logs without the credentials they quote', () => {
  const account = createSimServiceAccount(PROJECT);
  const seen: string[] = [];
  /** The copies of answers still being read (a stream's ends with it). */
  const reading: Promise<void>[] = [];
  const lines: string[] = [];
  let sims: Sims;
  let dir: string;
  let app: App;
  let server: RunningServer;
  let openai: OpenAI;
  let anthropic: Anthropic;

  /** The SDKs' fetch, keeping every answer's headers and body as the client received them. */
  const recordingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const copy = res.clone();
    seen.push(JSON.stringify([...res.headers]));
    reading.push(copy.text().then((text) => void seen.push(text)));
    return res;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leaks-e2e-'));
    const [oa, px, az, br, vx, an] = await Promise.all([
      startOpenAISim({ apiKey: OPENAI_KEY }),
      startOpenAISim({ apiKey: HEADER_KEY }),
      startAzureSim({ apiKey: AZURE_KEY }),
      startBedrockSim({ region: 'us-east-1' }),
      startVertexSim({ publicKey: account.publicKey, project: PROJECT }),
      startAnthropicSim({ apiKey: ANTHROPIC_KEY }),
    ]);
    sims = { openai: oa, proxied: px, azure: az, bedrock: br, vertex: vx, anthropic: an };
    const gcp = { provider: 'vertex', project: PROJECT, region: 'europe-west4', endpoint: vx.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true };
    const exposed = { expose_upstream_errors: true };
    const config: ConfigInput = {
      api_keys: [{ id: 'k', key: GATEWAY_KEY }],
      logging: { upstream_error_text: true },
      routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true, breaker: { consecutive_failures: 100_000, min_requests: 100_000 } },
      deployments: [
        { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${oa.url}/v1`, api_key: '${OPENAI_KEY}', ...exposed },
        {
          id: 'proxied',
          provider: 'openai-compatible',
          model: 'gpt-4o-mini',
          endpoint: `${px.url}/v1`,
          headers: { authorization: 'Bearer ${HEADER_KEY}', 'x-proxy-token': '${PROXY_TOKEN}' },
          ...exposed,
        },
        { id: 'azure', provider: 'azure-openai', model: 'gpt-4o', endpoint: az.url, api_version: '2024-10-21', api_key: '${AZURE_KEY}', ...exposed },
        { id: 'bedrock', provider: 'bedrock', model: 'anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', endpoint: br.url, access_key_id: '${AWS_ID}', secret_access_key: '${AWS_SECRET}', ...exposed },
        { id: 'gemini', model: 'gemini-2.5-flash', ...gcp, ...exposed },
        { id: 'vertex-claude', publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929', ...gcp, region: 'us-east5', ...exposed },
        { id: 'anthropic', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: an.url, api_key: '${ANTHROPIC_KEY}', ...exposed },
      ],
      ledger: { path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl') },
    };
    const env = { OPENAI_KEY, HEADER_KEY, PROXY_TOKEN, AZURE_KEY, ANTHROPIC_KEY, AWS_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey, VERTEX_SA: account.json };
    const parsed = parseConfig(config, env);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const logger = capturingLogger(lines);
    app = await createApp(parsed.config, { logger, accessLogger: logger });
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, onClose: () => app.close() });
    openai = new OpenAI({ apiKey: GATEWAY_KEY, baseURL: `${server.url}/v1`, maxRetries: 0, fetch: recordingFetch });
    anthropic = new Anthropic({ apiKey: GATEWAY_KEY, baseURL: server.url, maxRetries: 0, fetch: recordingFetch });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all(Object.values(sims).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    for (const sim of Object.values(sims)) sim.faults.clear();
  });

  /** Each door's request, streamed or not; resolves with what the SDK raised or the text it assembled. */
  const doors: ReadonlyArray<readonly [string, (model: string, stream: boolean) => Promise<unknown>]> = [
    [
      'chat',
      async (model, stream) => {
        if (!stream) return openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
        for await (const chunk of await openai.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] })) void chunk;
        return undefined;
      },
    ],
    [
      'responses',
      async (model, stream) => {
        if (!stream) return openai.responses.create({ model, input: 'hi', store: false });
        for await (const event of await openai.responses.create({ model, input: 'hi', store: false, stream: true })) void event;
        return undefined;
      },
    ],
    [
      'messages',
      async (model, stream) => {
        if (!stream) return anthropic.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
        for await (const event of anthropic.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })) void event;
        return undefined;
      },
    ],
  ];

  const failure = (call: Promise<unknown>): Promise<string> =>
    call.then(
      () => 'no error',
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );

  it.each(STATUSES)('an upstream %i reaches every door in our words and the upstream\'s scrubbed ones', async (status) => {
    for (const t of TARGETS) {
      for (const [door, send] of doors) {
        sims[t.sim].faults.add({ model: t.model, status, error_message: carelessText(t), retry_after_s: 0, count: 1 });
        const message = await failure(send(t.id, false));
        expect(message, `${t.id} ${door}`).toContain(`Upstream ${t.id}`);
        expect(message, `${t.id} ${door}`).toContain(MARK);
      }
    }
  });

  it('an upstream error mid-stream reaches every door as its error event, likewise scrubbed', async () => {
    for (const t of TARGETS) {
      for (const [door, send] of doors) {
        sims[t.sim].faults.add({ model: t.model, stream_error_after_chunks: 1, error_message: carelessText(t), count: 1 });
        const message = await failure(send(t.id, true));
        expect(message, `${t.id} ${door}`).toContain(MARK);
      }
    }
  });

  it('no answer, stream or log line holds a credential the upstream quoted', async () => {
    await Promise.all(reading);
    await app.ledger.flush();
    const everything = [...seen, ...lines].join('\n');
    expect(everything).toContain(MARK);
    expect(lines.some((l) => l.includes('"msg":"upstream error"') && l.includes(MARK))).toBe(true);
    const secrets = [GATEWAY_KEY, ...TARGETS.flatMap((t) => t.own), ...FOREIGN_SECRETS];
    for (const secret of secrets) expect(everything, secret).not.toContain(secret);
  });
});
