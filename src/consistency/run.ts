import { estimatePromptTokens } from '../core/estimate.js';
import { toGatewayError } from '../core/errors.js';
import { textOf, type ChatRequest, type JsonObject } from '../core/types.js';
import type { GatewayConfig } from '../config/schema.js';
import { createGateway } from '../gateway/gateway.js';
import { PriceBook } from '../ledger/pricing/price-book.js';
import { groupMembers, type GroupConfig } from '../routing/config.js';
import type { ConsistencyPrompt } from './prompts.js';

/** What one deployment answered to one prompt, reduced to what applications depend on. */
export interface Observation {
  prompt: string;
  deployment: string;
  ok: boolean;
  error: string | undefined;
  finishReason: string | undefined;
  text: string;
  /** Whether the answer parses as JSON; undefined when the prompt did not ask for JSON. */
  validJson: boolean | undefined;
  toolCall: { name: string; validArguments: boolean } | undefined;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
  latencyMs: number;
  costUsd: number | undefined;
}

export function toRequest(model: string, p: ConsistencyPrompt): ChatRequest {
  return {
    model,
    messages: [
      ...(p.system === undefined ? [] : [{ role: 'system' as const, content: [{ type: 'text' as const, text: p.system }] }]),
      { role: 'user', content: [{ type: 'text', text: p.user }] },
    ],
    maxOutputTokens: p.max_tokens,
    ...(p.json ? { responseFormat: { type: 'json' as const } } : {}),
    ...(p.tools.length > 0 ? { tools: p.tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters as JsonObject })) } : {}),
  };
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Arguments parse as a JSON object that carries every key the tool's schema requires. */
function validArguments(args: string, prompt: ConsistencyPrompt, name: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const required = prompt.tools.find((t) => t.name === name)?.parameters.required;
  return !Array.isArray(required) || required.every((k) => typeof k === 'string' && k in value);
}

/** One short unmeasured request per deployment before the prompts. */
export const WARMUP: ConsistencyPrompt = { name: 'warm-up', user: 'Hi', json: false, tools: [], max_tokens: 8 };

/** Upper bound of the run's cost from the pricing catalog (undefined when a deployment is unpriced). */
export function maxCost(config: GatewayConfig, group: GroupConfig, prompts: readonly ConsistencyPrompt[]): number | undefined {
  const prices = PriceBook.fromConfig(config.pricing, config.deployments);
  let total = 0;
  for (const id of groupMembers(group).map((m) => m.id)) {
    const d = config.deployments.find((x) => x.id === id);
    for (const p of [WARMUP, ...prompts]) {
      const c = d ? prices.maxCost({ deployment: d.id, provider: d.provider, model: d.model, region: d.region }, estimatePromptTokens(toRequest(group.name, p)), p.max_tokens) : undefined;
      if (c === undefined) return undefined;
      total += c;
    }
  }
  return total;
}

/**
 * Sends every prompt to every deployment of the group (pinned, no fallback), one at a time.
 * `onProgress` hears after each request how many of the total are done (a terminal shows it).
 */
export async function observe(
  config: GatewayConfig,
  group: GroupConfig,
  prompts: readonly ConsistencyPrompt[],
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<Observation[]> {
  const gateway = createGateway(config);
  const prices = PriceBook.fromConfig(config.pricing, config.deployments);
  const out: Observation[] = [];
  try {
    // Lazy provider loading and new connections would otherwise be measured as the first prompt's latency.
    await Promise.all(groupMembers(group).map((m) => gateway.chat(toRequest(group.name, WARMUP), { override: m.id }).catch(() => undefined)));
    for (const p of prompts) {
      for (const id of groupMembers(group).map((m) => m.id)) {
        const started = Date.now();
        try {
          const { response, servedBy } = await gateway.chat(toRequest(group.name, p), { override: id });
          const text = textOf(response.content);
          const call = response.content.find((c) => c.type === 'tool-call');
          out.push({
            prompt: p.name,
            deployment: id,
            ok: true,
            error: undefined,
            finishReason: response.finishReason,
            text,
            validJson: p.json ? parses(text) : undefined,
            toolCall: call ? { name: call.name, validArguments: validArguments(call.arguments, p, call.name) } : undefined,
            promptTokens: response.usage.prompt,
            completionTokens: response.usage.completion,
            latencyMs: Date.now() - started,
            costUsd: prices.usdOf(servedBy, response.usage),
          });
        } catch (err) {
          const e = toGatewayError(err);
          out.push({ prompt: p.name, deployment: id, ok: false, error: `${e.kind}: ${e.message}`, finishReason: undefined, text: '', validJson: undefined, toolCall: undefined, promptTokens: undefined, completionTokens: undefined, latencyMs: Date.now() - started, costUsd: undefined });
        }
        onProgress(out.length, prompts.length * groupMembers(group).length);
      }
    }
  } finally {
    await gateway.close();
  }
  return out;
}
