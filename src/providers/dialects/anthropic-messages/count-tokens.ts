import type { MessagesCountTokensBody, MessagesRequestBody } from './wire.js';

/**
 * The count_tokens body for a Messages request body: the fields that make up the prompt (messages,
 * system, tools, tool choice, thinking, and structured outputs' `output_config.format`, which the
 * counter takes as the chat call does: @anthropic-ai/sdk's `MessageCountTokensParams`) and the model.
 * The counter refuses generation settings (max_tokens, sampling, stop sequences, stream, metadata) and
 * anything passed through; `output_config.effort` sets how the model works on its answer, no part of
 * the prompt, and stays out.
 */
export function encodeCountTokensRequest(body: MessagesRequestBody, model: string): MessagesCountTokensBody {
  const out: MessagesCountTokensBody = { model, messages: body.messages };
  if (body.anthropic_version !== undefined) out.anthropic_version = body.anthropic_version;
  if (body.system !== undefined) out.system = body.system;
  if (body.tools !== undefined) out.tools = body.tools;
  if (body.tool_choice !== undefined) out.tool_choice = body.tool_choice;
  if (body.thinking !== undefined) out.thinking = body.thinking;
  const format = body.output_config?.format;
  if (format !== undefined) out.output_config = { format };
  return out;
}
