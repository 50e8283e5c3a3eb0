import * as z from '../../config/zod.js';
import { timerMs } from '../../config/timer.js';
import type { ProviderFactory } from '../registry.js';
import { OpenAICompatibleProvider } from './provider.js';
import { responsesOnlyProblem } from '../dialects/openai-chat/responses-only.js';

/** OpenAI's own hosts (api.openai.com, the regional eu.api.openai.com): other servers name their models as they like. */
const OPENAI_HOST = /(?:^|\.)api\.openai\.com$/i;

const options = () =>
  z.looseObject({
    /** Base URL including the version prefix, e.g. https://api.openai.com/v1 or http://vllm:8000/v1. */
    endpoint: z.url().default('https://api.openai.com/v1'),
    max_connections: z.number().int().positive().default(128),
    /** Idle keep-alive connections are closed after this; short, so a hung upstream's sockets go soon. */
    keep_alive_timeout_ms: timerMs().positive().default(4_000),
    /** Time allowed to open a connection (TCP and TLS). */
    connect_timeout_ms: timerMs().positive().default(5_000),
    /** The server continues a final assistant message (vLLM's `continue_final_message`); plain OpenAI does not. */
    prefill: z.boolean().default(false),
    /**
     * The server's /embeddings takes OpenAI's token-id `input` (OpenAI, vLLM). Ollama's takes text only
     * and answers ids with a 400 ("invalid input type"): false refuses them before sending, fallbackably.
     */
    embedding_token_input: z.boolean().default(true),
  });

export type OpenAICompatibleOptions = z.infer<ReturnType<typeof options>>;

/** OpenAI itself and every server that speaks its Chat Completions API (vLLM, Ollama, llama.cpp). */
export const openaiCompatible: ProviderFactory<OpenAICompatibleOptions> = {
  type: 'openai-compatible',
  options,
  // Every unmapped field travels top-level, where the OpenAI API (and vLLM, Ollama) read extensions.
  passthroughProblem: () => undefined,
  // Only against OpenAI itself: a proxy such as LiteLLM may serve these names on Chat Completions.
  modelProblem: (deployment, opts) => (OPENAI_HOST.test(new URL(opts.endpoint).hostname) ? responsesOnlyProblem(deployment.model, 'openai-compatible') : undefined),
  create: (deployment, opts) => new OpenAICompatibleProvider(deployment, opts),
};
