import { describe, expect, it } from 'vitest';
import { asNotice } from './interruption.js';

describe("a worker's reading of the primary's interruption notice", () => {
  it('takes a notice with or without a deadline, and nothing else', () => {
    expect(asNotice({ cloud: 'azure', kind: 'preempt', deadline: 1_000 })).toEqual({ cloud: 'azure', kind: 'preempt', deadline: 1_000 });
    expect(asNotice({ cloud: 'aws', kind: 'terminate', deadline: undefined })).toEqual({ cloud: 'aws', kind: 'terminate', deadline: undefined });
    expect(asNotice({ cloud: 'oci', kind: 'preempt' })).toBeUndefined();
    expect(asNotice({ cloud: 'gcp', kind: 'preempt', deadline: '30s' })).toBeUndefined();
    expect(asNotice(null)).toBeUndefined();
  });
});
