import { describe, expect, it } from 'vitest';
import { RpcClient } from '../../cluster/rpc.js';
import { inProcessPrimary } from '../../cluster/testing/in-process-primary.js';
import { budgetHandlers, IpcBudgetState } from './ipc-state.js';
import { MemoryBudgetState, type CounterRef } from './state.js';


const ref = (value: string): CounterRef => ({ counter: `team-daily|2025-06-15|${value}`, budget: 'team-daily', value, hardUsd: 1, periodStart: 0, expiresAt: Date.now() + 60_000 });

describe('budget counters read by a `serve --workers` worker (the budgets route)', () => {
  it('reads the primary\'s figures and counter ids, whichever worker reserved and spent', async () => {
    const primary = inProcessPrimary({ budgets: budgetHandlers(new MemoryBudgetState()) });
    const [writer, reader] = [new IpcBudgetState(new RpcClient(primary.channel())), new IpcBudgetState(new RpcClient(primary.channel()))] as const;
    const reserved = await writer.reserve([ref('research')], 0.3);
    await writer.settle([ref('search')], 0.25, undefined);
    expect(reserved.ok).toBe(true);
    expect(await reader.figures([ref('research'), ref('search'), ref('marketing')])).toEqual([{ spent: 0, reserved: 0.3 }, { spent: 0.25, reserved: 0 }, undefined]);
    expect((await reader.counterIds('team-daily|2025-06-15|', 10)).ids.sort()).toEqual(['team-daily|2025-06-15|research', 'team-daily|2025-06-15|search']);
    expect(await reader.counterIds('team-daily|2025-06-15|', 1)).toMatchObject({ ids: [expect.any(String)], complete: false });
  });
});
