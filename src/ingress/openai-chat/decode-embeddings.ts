import { unmappedFields } from '../../core/fields.js';
import { GatewayError } from '../../core/errors.js';
import type { EmbeddingRequest } from '../../core/types.js';
import { isObject } from '../../core/json.js';
import { bad, notAnObject, optional, optionalNumber, optionalString } from './check.js';
import { EMBEDDING_FIELDS } from './fields.js';

/** A decoded embeddings request, with how the client wants its vectors written back. */
export interface DecodedEmbeddings {
  request: EmbeddingRequest;
  encodingFormat: 'float' | 'base64';
}

/**
 * Inputs one request may carry: OpenAI's API schema caps an array of strings or of token arrays at
 * 2048 items. The other limits OpenAI documents are its models', which the upstream enforces and other
 * models set differently, so the door does not impose them: tokens per input (8192 for OpenAI's
 * embedding models) and per request (300,000). Nor is one token array held to 2048 ids, though the
 * reference's "any array must be 2048 dimensions or less" reads so: it is one input, and OpenAI's own
 * cookbook (Embedding_long_inputs) sends up to 8191 ids that way. The body limit bounds the rest.
 */
const MAX_INPUTS = 2048;

/** OpenAI's own words for any `input` its schema refuses, then ours saying what is wrong. */
const OPENAI_INPUT_INVALID = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";

/** Checks an OpenAI embeddings body and converts it; throws invalid_request naming the parameter. */
export function decodeEmbeddingRequest(body: unknown): DecodedEmbeddings {
  if (!isObject(body)) throw notAnObject();
  if (typeof body.model !== 'string' || body.model === '') throw bad('model', "'model' is required and must be a string.");
  const request = withInput(body.model, body.input);
  const dimensions = optionalNumber(body, 'dimensions', 1, 65_536, true);
  if (dimensions !== undefined) request.dimensions = dimensions;
  const format = optional(body, 'encoding_format');
  if (format !== undefined && format !== 'float' && format !== 'base64') throw bad('encoding_format', "'encoding_format' must be 'float' or 'base64'.");
  const user = optionalString(body, 'user');
  if (user !== undefined) request.user = user;
  const passthrough = unmappedFields(body, EMBEDDING_FIELDS);
  if (passthrough) request.passthrough = passthrough;
  return { request, encodingFormat: format === 'base64' ? 'base64' : 'float' };
}

/**
 * OpenAI's four shapes of `input`: a string, strings, one token array (token ids, as tiktoken makes
 * them) or token arrays (what LangChain's OpenAIEmbeddings sends). Token ids become `tokens`, one list
 * per input, so a provider knows from the request's shape whether its upstream can take it.
 */
function withInput(model: string, input: unknown): EmbeddingRequest {
  if (typeof input === 'string') {
    if (input === '') throw invalidInput("'input' is an empty string.");
    return { model, input: [input] };
  }
  if (!Array.isArray(input) || input.length === 0) throw invalidInput("'input' must be a non-empty string or a non-empty array.");
  const first: unknown = input[0];
  if (typeof first === 'number') {
    checkTokenIds(input, 'input');
    return { model, tokens: [input as number[]] };
  }
  if (input.length > MAX_INPUTS) throw invalidInput(`'input' has ${input.length} items; at most ${MAX_INPUTS} are allowed.`);
  if (Array.isArray(first)) {
    for (let i = 0; i < input.length; i++) {
      const ids: unknown = input[i];
      if (!Array.isArray(ids) || ids.length === 0) throw invalidInput(`'input[${i}]' must be a non-empty array of token ids, as every item of an array of token arrays.`);
      checkTokenIds(ids, `input[${i}]`);
    }
    return { model, tokens: input as number[][] };
  }
  for (let i = 0; i < input.length; i++) {
    const text: unknown = input[i];
    if (typeof text !== 'string' || text === '') throw invalidInput(`'input[${i}]' must be a non-empty string, as every item of an array of strings.`);
  }
  return { model, input: input as string[] };
}

/** Token ids are integers from 0; above 2^53 a number is not the integer the client wrote. */
function checkTokenIds(ids: readonly unknown[], param: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw invalidInput(`'${param}[${i}]' must be a token id (an integer from 0), as every item of a token array.`);
  }
}

/** OpenAI refuses a bad `input` with `param: null` and its sentence; the client also learns what is wrong. */
function invalidInput(problem: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message: `${OPENAI_INPUT_INVALID} ${problem}`, code: 'invalid_request' });
}
