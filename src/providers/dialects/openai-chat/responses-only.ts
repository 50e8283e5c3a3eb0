/**
 * OpenAI models served on the Responses API (`/v1/responses`) only: Chat Completions answers them 404
 * "This model is only supported in v1/responses and not in v1/chat/completions.", so a deployment that
 * speaks Chat Completions can never serve one. Only models a source says so of are listed:
 * - the official SDK's `ResponsesModel` beside `ChatModel` (openai 6.x, resources/shared.d.ts): o1-pro,
 *   o3-pro, o3-deep-research, o4-mini-deep-research, computer-use-preview, gpt-5-pro, gpt-5-codex and
 *   gpt-5.1-codex-max are Responses models that are no chat models;
 * - codex-mini-latest: the API's 404 quoted in openai/codex#1306 and aaif-goose/goose#2564 (Azure
 *   deploys it as codex-mini, learn.microsoft.com "Azure OpenAI reasoning models");
 * - gpt-5.1-codex-mini: the 404 quoted in HeyPuter/puter#2110; gpt-5.1-codex: "can ONLY be called via
 *   the /responses endpoint" (docs.aimlapi.com, gpt-5.1-codex);
 * - gpt-5.2-pro: "only available in the responses API" (run-llama/llama_index#20361,
 *   langchain-ai/langchain#34306);
 * - gpt-5.2-codex and gpt-5.3-codex: LiteLLM's model table (`model_prices_and_context_window.json`,
 *   2026-07-24) gives them `mode: responses` and `/v1/responses` as their only endpoint, as it does every
 *   codex model above. It says the same of gpt-5.4-pro and gpt-5.5-pro, but an error OpenAI gives on
 *   Chat Completions for their `reasoning_effort` (the simulator's) says otherwise: they are sent.
 */
const RESPONSES_ONLY = new Set([
  'o1-pro',
  'o3-pro',
  'o3-deep-research',
  'o4-mini-deep-research',
  'computer-use-preview',
  'gpt-5-pro',
  'gpt-5-codex',
  'gpt-5.1-codex-max',
  'codex-mini-latest',
  'codex-mini',
  'gpt-5.1-codex-mini',
  'gpt-5.1-codex',
  'gpt-5.2-pro',
  'gpt-5.2-codex',
  'gpt-5.3-codex',
]);

/** A dated snapshot (`o3-pro-2025-06-10`) is served where its model is. */
const SNAPSHOT = /-\d{4}-\d{2}-\d{2}$/;

/** Whether OpenAI serves this model id on the Responses API only. */
export function isResponsesOnly(model: string): boolean {
  const id = model.toLowerCase().replace(SNAPSHOT, '');
  return RESPONSES_ONLY.has(id);
}

/** The config problem of a Chat Completions deployment of such a model, or undefined. */
export function responsesOnlyProblem(model: string, provider: string): string | undefined {
  if (!isResponsesOnly(model)) return undefined;
  return `${model} is served by OpenAI's Responses API only; the ${provider} provider speaks Chat Completions, where OpenAI refuses it ("This model is only supported in v1/responses and not in v1/chat/completions."): choose a model Chat Completions serves`;
}
