/**
 * The conformance suite every provider must pass: the spec groups in conformance/, run through the real server with
 * the official `openai` SDK against the provider's simulator. Adding a provider = passing this suite:
 *
 *   runConformance({ name: 'bedrock', setup: async () => ({ sim, deployment: {...}, errors: {...} }) });
 *
 * The same cases run through each runtime adapter by passing its front (see the adapters' testing/ folders).
 */
import { afterAll, beforeAll, describe } from 'vitest';
import OpenAI from 'openai';
import { parseConfig } from '../config/load.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { answerSpecs, toolCallSpecs } from './conformance/answers.js';
import { errorSpecs } from './conformance/errors.js';
import { noPassthroughSpecs } from './conformance/no-passthrough.js';
import { streamShapeSpecs, streamSpecs } from './conformance/streams.js';
import type { ConformanceSuite } from './conformance/suite.js';
import { startServer } from '../adapters/node/server.js';
import type { SimServer } from '../sim/server.js';
import type { FaultRule } from '../sim/faults.js';
import type { JsonValue } from '../core/types.js';

/** A fault rule for the simulator and the error the client must then see (OpenAI's `code`, null where OpenAI sends none). */
export interface ErrorCase {
  fault: FaultRule;
  status: number;
  code: string | null;
}

export interface ConformanceSetup {
  sim: SimServer;
  /** Raw deployment config (as in switchyard.yaml) pointing at the simulator; its id is replaced. */
  deployment: Record<string, unknown>;
  /** Raw deployment config for embeddings, when the provider has them. */
  embeddingDeployment?: Record<string, unknown>;
  /** Environment for `${VAR}` references in the deployment config. */
  env?: Record<string, string>;
  /** Error cases keyed by the taxonomy kind the client should see. */
  errors: {
    rate_limited: ErrorCase;
    unavailable: ErrorCase;
    context_window_exceeded: ErrorCase;
    invalid_request: ErrorCase;
    content_filtered?: ErrorCase;
    authentication?: ErrorCase;
  };
  /** A fault that breaks a stream after some content (cut or in-stream error). */
  midStreamFault: FaultRule;
  /** Every top-level key the provider's upstream chat body may hold: built from mapped fields only. */
  wireKeys: readonly string[];
  /**
   * A field the deployment can be configured to let through (`passthrough`), and where the upstream
   * body then carries it; `refused` when the wire format has no slot and config load must say so.
   */
  passthrough: { field: string; value: JsonValue; carried: (wireBody: Record<string, unknown>) => unknown } | 'refused';
  /**
   * What the upstream reveals of its reasoning for a prompt that asks to "think step by step": the
   * text (the default), or only its token count (Azure OpenAI).
   */
  reasoning?: 'text' | 'tokens';
  close?: () => Promise<void>;
}

/** How the suite's client reaches the gateway: a base URL, and how to stop serving it. */
export interface ConformanceFront {
  readonly name: string;
  serve(gateway: Gateway): Promise<{ url: string; close(): Promise<void> }>;
}

/** The gateway on node:http (`startServer`), the default front. */
export const nodeFront: ConformanceFront = {
  name: 'node',
  async serve(gateway) {
    const server = await startServer(gateway, { port: 0 });
    return { url: server.url, close: () => server.shutdown(500) };
  },
};

export interface ConformanceTarget {
  name: string;
  setup(): Promise<ConformanceSetup>;
}

/** Defines the suite for one provider, served through `front`. Call at the top level of a `*.test.ts` file. */
export function runConformance(target: ConformanceTarget, front: ConformanceFront = nodeFront): void {
  describe(front === nodeFront ? `conformance: ${target.name}` : `conformance: ${target.name} through ${front.name}`, () => {
    const suite = openSuite(target, front);
    answerSpecs(suite);
    toolCallSpecs(suite);
    streamSpecs(suite);
    streamShapeSpecs(suite);
    noPassthroughSpecs(suite);
    errorSpecs(suite);
  });
}

/** Starts the target and the gateway before the specs and stops them after; the specs read them from the result. */
function openSuite(target: ConformanceTarget, front: ConformanceFront): ConformanceSuite {
  let setup: ConformanceSetup | undefined;
  let server: { url: string; close(): Promise<void> } | undefined;
  let client: OpenAI | undefined;
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the conformance suite did not start (see its beforeAll)');
    return value;
  };

  beforeAll(async () => {
    const started = await target.setup();
    setup = started;
    const deployments: Array<Record<string, unknown>> = [{ ...started.deployment, id: 'conf' }];
    if (started.passthrough !== 'refused') deployments.push({ ...started.deployment, id: 'conf-pass', passthrough: [started.passthrough.field] });
    const groups: Array<Record<string, unknown>> = [];
    if (started.embeddingDeployment) {
      deployments.push({ ...started.embeddingDeployment, id: 'conf-embed' });
      groups.push({ name: 'embed', deployments: ['conf-embed'] });
    }
    const parsed = parseConfig(
      // Cases share one deployment: a 429 case without retry-after must not cool it for the next one.
      { routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 5_000, rate_limit: { default_cool_down_ms: 1 }, allow_direct_deployments: true }, deployments, groups },
      started.env ?? {},
    );
    if (!parsed.ok) throw new Error(`conformance config invalid: ${JSON.stringify(parsed.problems)}`);
    server = await front.serve(createGateway(parsed.config));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await setup?.sim.close();
    await setup?.close?.();
  });

  return {
    get setup() {
      return ready(setup);
    },
    get client() {
      return ready(client);
    },
    get url() {
      return ready(server).url;
    },
  };
}
