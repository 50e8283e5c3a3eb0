import { unmappedFields } from '../../core/fields.js';
import type { EmbeddingRequest } from '../../core/types.js';
import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import { bad, notAnObject, optional, optionalNumber, optionalString } from './check.js';
import { EMBEDDING_FIELDS } from './fields.js';

/** A decoded embeddings request, with how the client wants its vectors written back. */
export interface DecodedEmbeddings {
  request: EmbeddingRequest;
  encodingFormat: 'float' | 'base64';
}

/** OpenAI's own words for any `input` its schema refuses, then ours saying what is wrong. */
const OPENAI_INPUT_INVALID = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";

/** Checks an OpenAI embeddings body and converts it; throws invalid_request naming the parameter. */
export function decodeEmbeddingRequest(body: unknown): DecodedEmbeddings {
  if (!isObject(body)) throw notAnObject();
  if (typeof body.model !== 'string' || body.model === '') throw bad('model', "'model' is required and must be a string.");
  const input = body.input;
  const ok = (typeof input === 'string' && input !== '') || (Array.isArray(input) && input.length > 0 && input.length <= 2048 && input.every((s) => typeof s === 'string' && s !== ''));
  if (!ok) throw invalidInput("'input' must be a non-empty string or a non-empty array of up to 2048 non-empty strings.");
  const request: EmbeddingRequest = { model: body.model, input: typeof input === 'string' ? [input] : (input as string[]) };
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

/** OpenAI refuses a bad `input` with `param: null` and its sentence; the client also learns what is wrong. */
function invalidInput(problem: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message: `${OPENAI_INPUT_INVALID} ${problem}`, code: 'invalid_request' });
}
