import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { makeUsage } from '../core/types.js';
import { userRequest } from '../testing/canonical.js';
import { failure, requestParams } from './observe.js';

describe('a failed attempt as the ledger records it', () => {
  const network = (upstreamStatus?: number): GatewayError => new GatewayError({ kind: 'network', message: 'Upstream sim connection failed (ECONNRESET).', provider: 'sim', upstreamStatus });

  it('bills the prompt estimate of an attempt whose 2xx answer the connection cut mid-body: the upstream had the request and was answering it', () => {
    expect(failure(network(200), 42)).toMatchObject({ outcome: 'error', usage: { prompt: 42, completion: 0 }, usageEstimated: true });
  });

  it('bills nothing for a connection lost before any answer, or while an error answer came', () => {
    expect(failure(network(), 42).usage).toBeUndefined();
    expect(failure(network(503), 42).usage).toBeUndefined();
  });

  const garbled = (upstreamStatus?: number): GatewayError => new GatewayError({ kind: 'bad_upstream_response', message: 'Upstream sim returned a malformed body.', provider: 'sim', upstreamStatus });

  it("bills the prompt estimate of a 2xx answer the gateway could not read (a malformed body, a garbage stream): the upstream ran the request and bills it", () => {
    expect(failure(garbled(200), 42)).toMatchObject({ outcome: 'error', usage: { prompt: 42, completion: 0 }, usageEstimated: true });
    // A decoder's error names no status: only 2xx bodies are decoded.
    expect(failure(garbled(), 42)).toMatchObject({ outcome: 'error', usage: { prompt: 42, completion: 0 }, usageEstimated: true });
  });

  it('bills an unreadable answer that said what it cost that, and nothing for one that was no answer (a redirect, an unknown error status) or never sent', () => {
    const paidUsage = makeUsage({ prompt: 30, completion: 7 });
    expect(failure(new GatewayError({ kind: 'bad_upstream_response', message: 'tool_use without a tool call', upstreamStatus: 200, paidUsage }), 42)).toMatchObject({ usage: paidUsage });
    expect(failure(new GatewayError({ kind: 'bad_upstream_response', message: 'tool_use without a tool call', upstreamStatus: 200, paidUsage }), 42).usageEstimated).not.toBe(true);
    expect(failure(garbled(302), 42).usage).toBeUndefined();
    expect(failure(garbled(418), 42).usage).toBeUndefined();
    expect(failure(garbled().withUnsent(true), 42).usage).toBeUndefined();
  });

  it("bills a stream attempt what its upstream reported before failing (message_start's prompt), whatever the failure, rather than the estimate or nothing", () => {
    const reported = makeUsage({ prompt: 15_052, cachedRead: 15_000, cachedWrite: 40, cachedWrite1h: 10 });
    const overloaded = new GatewayError({ kind: 'overloaded', message: 'Upstream sim is overloaded mid-stream.' });
    for (const error of [network(200), network(), garbled(), overloaded, new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' })]) {
      expect(failure(error, 42, reported), error.message).toMatchObject({ usage: reported, usageEstimated: true });
    }
    // What an unreadable answer said it cost is the upstream's whole figure; nothing unsent is billed.
    const paidUsage = makeUsage({ prompt: 30, completion: 7 });
    expect(failure(new GatewayError({ kind: 'bad_upstream_response', message: 'tool_use without a tool call', upstreamStatus: 200, paidUsage }), 42, reported).usage).toBe(paidUsage);
    expect(failure(garbled().withUnsent(true), 42, reported).usage).toBeUndefined();
  });
});

describe('the request parameters an attempt span carries', () => {
  it('holds the sampling scalars, and only those of the others the request has', () => {
    expect(requestParams(userRequest('m', 'hi'))).toEqual({ maxTokens: undefined, temperature: undefined, topP: undefined });
    expect(Object.keys(requestParams(userRequest('m', 'hi', { temperature: 0.2 })))).toEqual(['maxTokens', 'temperature', 'topP']);
    // No content: the stop sequences are the request's own settings, not its messages.
    const stop = ['END', '\n\n'];
    const asked = userRequest('m', 'hi', { maxOutputTokens: 64, temperature: 0, topP: 0.9, topK: 40, seed: 7, presencePenalty: -0.5, frequencyPenalty: 0.25, stopSequences: stop, responseFormat: { type: 'json', schema: { type: 'object' } } });
    expect(requestParams(asked)).toEqual({ maxTokens: 64, temperature: 0, topP: 0.9, topK: 40, seed: 7, presencePenalty: -0.5, frequencyPenalty: 0.25, stopSequences: stop, outputType: 'json' });
  });

  it('says json for JSON mode and a JSON schema alike, text for an explicit text format, and nothing without one', () => {
    expect(requestParams(userRequest('m', 'hi', { responseFormat: { type: 'json' } })).outputType).toBe('json');
    expect(requestParams(userRequest('m', 'hi', { responseFormat: { type: 'text' } })).outputType).toBe('text');
    expect(requestParams(userRequest('m', 'hi', { seed: 0 }))).not.toHaveProperty('outputType');
    expect(requestParams(userRequest('m', 'hi', { seed: 0 })).seed).toBe(0);
    expect(requestParams(userRequest('m', 'hi', { stopSequences: [] }))).not.toHaveProperty('stopSequences');
  });
});
