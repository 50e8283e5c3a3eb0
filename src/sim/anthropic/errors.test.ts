import { describe, expect, it } from 'vitest';
import { accountRefusalMessage } from './errors.js';

describe('accountRefusalMessage', () => {
  it('names the start of the next month, UTC, as when a usage-limited account comes back', () => {
    expect(accountRefusalMessage('usage_limit', new Date('2026-03-23T23:08:46Z'))).toBe(
      'You have reached your specified API usage limits. You will regain access on 2026-04-01 at 00:00 UTC.',
    );
    expect(accountRefusalMessage('usage_limit', new Date('2026-12-31T23:59:59Z'))).toContain('regain access on 2027-01-01 at 00:00 UTC.');
  });
});
