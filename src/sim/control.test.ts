import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicSim } from './anthropic/index.js';
import { startAzureSim } from './azure/index.js';
import { startBedrockSim } from './bedrock/index.js';
import { startMetadataSim } from './metadata/index.js';
import { startOpenAISim } from './openai/index.js';
import type { SimServer } from './server.js';
import { startVertexSim } from './vertex/index.js';

const post = async (sim: SimServer, body: string): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, body: await res.json() };
};

describe('every simulator\'s fault control endpoint', () => {
  let sims: SimServer[] = [];
  beforeAll(async () => {
    sims = await Promise.all([startOpenAISim(), startAzureSim(), startAnthropicSim(), startBedrockSim(), startVertexSim(), startMetadataSim()]);
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
  });

  it('refuses a misspelt field with 400 naming its path and the field meant, and adds no rule', async () => {
    for (const sim of sims) {
      expect(await post(sim, '{"stauts": 503}'), sim.name).toEqual({
        status: 400,
        body: { error: { message: 'fault rule refused: unknown key "stauts"; did you mean "status"?', problems: [{ path: '(root)', message: 'unknown key "stauts"; did you mean "status"?' }] } },
      });
      expect(await post(sim, '{"cold_start": {"idle_ms": 10, "request": 2, "latency_ms": 5}}'), sim.name).toMatchObject({
        status: 400,
        body: { error: { message: 'fault rule refused: cold_start.requests: required: a number; cold_start: unknown key "request"; did you mean "requests"?' } },
      });
      expect(sim.faults.next('m'), sim.name).toEqual({ latencyMs: 0 });
    }
  });

  it('names a value of the wrong type in words, and a body that is not JSON in the same shape', async () => {
    for (const sim of sims) {
      expect(await post(sim, '{"status": "soon"}'), sim.name).toMatchObject({ status: 400, body: { error: { message: 'fault rule refused: status: expected a number, got the text "soon"' } } });
      expect(await post(sim, 'status=503'), sim.name).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^the body is not JSON: /) } } });
    }
  });
});
