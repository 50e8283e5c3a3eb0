import { describe, expect, it, vi } from 'vitest';
import { functionTimeoutMs, GCP_MAX_TIMEOUT_MS, requestDeadlineMs } from './deadline.js';

describe("the function's timeout, which Cloud Functions does not document telling the function", () => {
  it('is the shorter of SWITCHYARD_FUNCTION_TIMEOUT_MS and CLOUD_RUN_TIMEOUT_SECONDS when both are set (a redeploy with a shorter --timeout keeps the script\'s variable)', () => {
    expect(functionTimeoutMs({ SWITCHYARD_FUNCTION_TIMEOUT_MS: '540000', CLOUD_RUN_TIMEOUT_SECONDS: '3600' })).toBe(540_000);
    expect(functionTimeoutMs({ SWITCHYARD_FUNCTION_TIMEOUT_MS: '3600000', CLOUD_RUN_TIMEOUT_SECONDS: '300' })).toBe(300_000);
    expect(functionTimeoutMs({ SWITCHYARD_FUNCTION_TIMEOUT_MS: '540000' })).toBe(540_000);
  });

  it("is CLOUD_RUN_TIMEOUT_SECONDS, functions-framework's --timeout, when nothing else says", () => {
    expect(functionTimeoutMs({ CLOUD_RUN_TIMEOUT_SECONDS: '300' })).toBe(300_000);
  });

  it("is 2nd gen's most for HTTP, 3600 s, without either, or with a CLOUD_RUN_TIMEOUT_SECONDS that is no timeout or no number", () => {
    expect(GCP_MAX_TIMEOUT_MS).toBe(3_600_000);
    for (const env of [{}, { CLOUD_RUN_TIMEOUT_SECONDS: '0' }, { CLOUD_RUN_TIMEOUT_SECONDS: '' }, { CLOUD_RUN_TIMEOUT_SECONDS: '5m' }, { CLOUD_RUN_TIMEOUT_SECONDS: '-1' }]) {
      expect(functionTimeoutMs(env)).toBe(3_600_000);
    }
  });

  it('keeps the fallback, with a line on stderr, for a SWITCHYARD_FUNCTION_TIMEOUT_MS that is no duration', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(functionTimeoutMs({ SWITCHYARD_FUNCTION_TIMEOUT_MS: 'soon', CLOUD_RUN_TIMEOUT_SECONDS: '120' })).toBe(120_000);
      expect(String(stderr.mock.calls[0]?.[0])).toContain('SWITCHYARD_FUNCTION_TIMEOUT_MS');
    } finally {
      stderr.mockRestore();
    }
  });
});

describe("a request's deadline under the function's timeout", () => {
  it('stops a request 10 s before the timeout: room for the 504 or error event and the ledger flush (6 s)', () => {
    expect(requestDeadlineMs(3_600_000)).toBe(3_590_000);
    expect(requestDeadlineMs(60_000)).toBe(50_000);
  });

  it('keeps half of a short timeout for the request', () => {
    expect(requestDeadlineMs(12_000)).toBe(6_000);
  });
});
