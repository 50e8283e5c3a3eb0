import { describe, expect, it } from 'vitest';
import { GatewayError, upstreamFailure } from '../../core/errors.js';
import { errorResponse } from '../../http/respond.js';
import { anthropicErrorAnswer, toAnthropicError } from './errors.js';

describe("the Anthropic door's error body", () => {
  it('starts a context overflow with Anthropic\'s "prompt is too long", which Claude Code compacts on', () => {
    const upstream = upstreamFailure({ kind: 'context_window_exceeded', provider: 'bedrock', deployment: 'claude-us', upstreamStatus: 400, upstreamText: 'Input is too long for requested model.' });
    for (const exposed of [false, true]) {
      const { error } = toAnthropicError(upstream, exposed);
      expect(error.type).toBe('invalid_request_error');
      expect(error.message.startsWith('prompt is too long: ')).toBe(true);
      expect(error.message).toContain("does not fit the model's context window (HTTP 400).");
    }
    expect(toAnthropicError(upstream, true).error.message).toContain('Upstream said: Input is too long for requested model.');
    const routed = new GatewayError({ kind: 'context_window_exceeded', message: "The prompt (about 9000 tokens) exceeds the context window of every deployment of 'claude'.", code: 'context_length_exceeded' });
    expect(toAnthropicError(routed, false).error.message).toBe("prompt is too long: The prompt (about 9000 tokens) exceeds the context window of every deployment of 'claude'.");
  });

  it('leaves the messages of other errors as the gateway wrote them', () => {
    const invalid = new GatewayError({ kind: 'invalid_request', message: 'max_tokens: must be an integer of at least 1' });
    expect(toAnthropicError(invalid, false).error).toEqual({ type: 'invalid_request_error', message: 'max_tokens: must be an integer of at least 1' });
  });
});

describe("the Anthropic door's error answer", () => {
  it("tells when to come back with Anthropic's retry-after alone, never OpenAI's retry-after-ms", () => {
    const limited = new GatewayError({ kind: 'rate_limited', message: 'x', retryAfterMs: 7_000 });
    const headers = errorResponse(limited, toAnthropicError(limited, false), {}).headers;
    expect(anthropicErrorAnswer(limited, 'r-1', headers)).toBe(429);
    expect(headers['retry-after']).toBe('7');
    expect(headers).not.toHaveProperty('retry-after-ms');
    const overloaded = new GatewayError({ kind: 'overloaded', message: 'x', retryAfterMs: 1_500 });
    const more = errorResponse(overloaded, toAnthropicError(overloaded, false), {}).headers;
    expect(anthropicErrorAnswer(overloaded, 'r-2', more)).toBe(529);
    expect(more['retry-after']).toBe('2');
    expect(more).not.toHaveProperty('retry-after-ms');
  });

  it("says with Anthropic's x-should-retry whether a retry can help, so the SDK does not retry a spent budget", () => {
    const shouldRetry = (init: ConstructorParameters<typeof GatewayError>[0]): string | undefined => {
      const headers: Record<string, string> = {};
      anthropicErrorAnswer(new GatewayError(init), 'r', headers);
      return headers['x-should-retry'];
    };
    expect(shouldRetry({ kind: 'rate_limited', message: 'x' })).toBe('true');
    expect(shouldRetry({ kind: 'overloaded', message: 'x' })).toBe('true');
    expect(shouldRetry({ kind: 'timeout', message: 'x' })).toBe('true');
    expect(shouldRetry({ kind: 'no_deployment_available', message: 'x' })).toBe('true');
    // A 429 the SDK would retry, though the budget resets hours later; a deployment's refused credentials.
    expect(shouldRetry({ kind: 'budget_exceeded', message: 'x', retryAfterMs: 3_600_000 })).toBe('false');
    expect(shouldRetry({ kind: 'authentication', message: 'x' })).toBe('false');
    expect(shouldRetry({ kind: 'invalid_request', message: 'x' })).toBe('false');
  });
});
