import { GatewayError } from '../../core/errors.js';

/** A 400 invalid_request_error naming the parameter as Anthropic does (`messages.0.content`). */
export function fail(param: string, problem: string): never {
  throw new GatewayError({ kind: 'invalid_request', message: `${param}: ${problem}`, param, code: 'invalid_request' });
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown, param: string): string {
  if (typeof v !== 'string') fail(param, 'must be a string');
  return v;
}

export function num(v: unknown, param: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(param, `must be a number between ${min} and ${max}`);
  return v;
}

/** A positive integer token count (max_tokens). */
export function checkCount(v: unknown, param: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10_000_000) fail(param, 'must be an integer of at least 1');
  return v;
}
