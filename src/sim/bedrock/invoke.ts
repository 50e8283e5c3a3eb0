import type { ServerResponse } from 'node:http';
import { countTokens, embedText } from '../answer.js';
import { requestId, sendAwsError } from './errors.js';

const TITAN_DIMENSIONS = new Set([256, 512, 1024]);
const TITAN_MAX_TOKENS = 8192;
const COHERE_MAX_TEXTS = 96;
const COHERE_INPUT_TYPES = new Set(['search_document', 'search_query', 'classification', 'clustering', 'image']);

function sendInvoke(res: ServerResponse, body: unknown, tokens: number): void {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId(),
    'x-amzn-bedrock-input-token-count': String(tokens),
    'x-amzn-bedrock-invocation-latency': '5',
  });
  res.end(text);
}

/** Titan Text Embeddings v2: `{inputText, dimensions, normalize}` -> `{embedding, inputTextTokenCount}`. */
function titan(res: ServerResponse, body: Record<string, unknown>): void {
  if (typeof body.inputText !== 'string' || body.inputText === '') {
    return sendAwsError(res, 'ValidationException', 'Malformed input request: #: required key [inputText] not found, please reformat your input and try again.');
  }
  const dims = body.dimensions === undefined ? 1024 : body.dimensions;
  if (typeof dims !== 'number' || !TITAN_DIMENSIONS.has(dims)) {
    return sendAwsError(res, 'ValidationException', 'Malformed input request: #/dimensions: 1024, 512 or 256 expected, please reformat your input and try again.');
  }
  const tokens = countTokens(body.inputText);
  if (tokens > TITAN_MAX_TOKENS) return sendAwsError(res, 'ValidationException', 'Input is too long for requested model.');
  sendInvoke(res, { embedding: embedText(body.inputText, dims), embeddingsByType: { float: embedText(body.inputText, dims) }, inputTextTokenCount: tokens }, tokens);
}

/** Cohere embed: `{texts, input_type}` -> `{embeddings, id, texts, response_type}`. */
function cohere(res: ServerResponse, body: Record<string, unknown>): void {
  const texts = body.texts;
  if (!Array.isArray(texts) || texts.length === 0 || texts.length > COHERE_MAX_TEXTS || !texts.every((t) => typeof t === 'string')) {
    return sendAwsError(res, 'ValidationException', `Malformed input request: #/texts: expected 1 to ${COHERE_MAX_TEXTS} strings, please reformat your input and try again.`);
  }
  if (typeof body.input_type !== 'string' || !COHERE_INPUT_TYPES.has(body.input_type)) {
    return sendAwsError(res, 'ValidationException', 'Malformed input request: #: required key [input_type] not found, please reformat your input and try again.');
  }
  const dims = typeof body.output_dimension === 'number' ? body.output_dimension : 1024;
  const vectors = (texts as string[]).map((t) => embedText(t, dims));
  const tokens = (texts as string[]).reduce((n, t) => n + countTokens(t), 0);
  const byType = Array.isArray(body.embedding_types);
  sendInvoke(
    res,
    { embeddings: byType ? { float: vectors } : vectors, id: requestId(), texts, response_type: byType ? 'embeddings_by_type' : 'embeddings_floats' },
    tokens,
  );
}

/** POST /model/{id}/invoke for the embedding models the simulator knows. */
export function invoke(res: ServerResponse, model: string, body: Record<string, unknown>): void {
  if (/amazon\.titan-embed/.test(model)) return titan(res, body);
  if (/cohere\.embed/.test(model)) return cohere(res, body);
  sendAwsError(res, 'ValidationException', 'The provided model identifier is invalid.');
}
