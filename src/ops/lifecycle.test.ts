import { describe, expect, it } from 'vitest';
import { drainGraceMs } from './lifecycle.js';

describe('drain grace on an interruption notice', () => {
  it('keeps the configured grace when the deadline is far', () => {
    expect(drainGraceMs({ cloud: 'aws', kind: 'terminate', deadline: 120_000 }, 10_000, 0)).toBe(10_000);
  });
  it('ends the drain five seconds before a near deadline, never below zero', () => {
    expect(drainGraceMs({ cloud: 'gcp', kind: 'preempt', deadline: 12_000 }, 30_000, 0)).toBe(7_000);
    expect(drainGraceMs({ cloud: 'gcp', kind: 'preempt', deadline: 3_000 }, 30_000, 0)).toBe(0);
  });
  it('keeps the configured grace when the cloud gave no deadline', () => {
    expect(drainGraceMs({ cloud: 'aws', kind: 'terminate', deadline: undefined }, 10_000, 0)).toBe(10_000);
  });
});
