import { describe, expect, it } from 'vitest';
import { composeAdmission } from './admission.js';
import { GatewayError } from './errors.js';
import type { AdmissionControl, AdmissionRequest } from './events.js';

const req: AdmissionRequest = { requestId: 'r', operation: 'chat', group: undefined, candidates: [], tags: {}, estimatedPromptTokens: 1, maxCompletionTokens: 1 };

function control(name: string, log: string[], over: { refuse?: boolean; headers?: Record<string, string> } = {}): AdmissionControl {
  return {
    admit: () => {
      if (over.refuse) throw new GatewayError({ kind: 'rate_limited', message: `${name} refused` });
      log.push(`admit ${name}`);
      return { headers: over.headers, release: () => log.push(`release ${name}`) };
    },
  };
}

describe('composed admission', () => {
  it('admits through every control, merges their headers and releases every ticket', async () => {
    const log: string[] = [];
    const both = composeAdmission([control('budgets', log), control('limits', log, { headers: { 'x-ratelimit-limit-requests': '5' } })]);
    const ticket = await both.admit(req);
    expect(ticket.headers).toEqual({ 'x-ratelimit-limit-requests': '5' });
    ticket.release();
    expect(log).toEqual(['admit budgets', 'admit limits', 'release budgets', 'release limits']);
  });

  it('releases what earlier controls reserved when a later one refuses', async () => {
    const log: string[] = [];
    const both = composeAdmission([control('budgets', log), control('limits', log, { refuse: true })]);
    await expect(both.admit(req)).rejects.toThrow('limits refused');
    expect(log).toEqual(['admit budgets', 'release budgets']);
  });
});
