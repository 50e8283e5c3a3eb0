import { WorkerHoldings } from '../../cluster/holdings.js';
import type { Handlers, RpcClient } from '../../cluster/rpc.js';
import type { ReservedPart } from '../../core/held-writes.js';
import type { BudgetOverride, BudgetState, CounterFigures, CounterListing, CounterRef, ReserveResult, SeedStatus } from './state.js';

/** The RPC target name of the shared budget counters. */
export const BUDGETS_TARGET = 'budgets';

/**
 * The primary's side: each call runs on one in-memory BudgetState, whose methods are atomic. `held`
 * follows what each worker's reservations still hold, released when that worker exits.
 */
export function budgetHandlers(state: BudgetState, held: WorkerHoldings<CounterRef> = budgetHoldings(state)): Handlers {
  return {
    reserve: async ([refs, amount], from) => {
      const result = await state.reserve(refs as CounterRef[], amount as number);
      if (result.ok) await held.hold(from, refs as CounterRef[], amount as number, result.since);
      return result;
    },
    release: async ([refs, reserved], from) => {
      // A release read after its worker's exit: that exit released the reservation already.
      if (held.consume(from, refs as CounterRef[], reserved as ReservedPart)) await state.release(refs as CounterRef[], reserved as ReservedPart);
    },
    settle: ([refs, cost, fromReserved, bookedAt], from) => {
      const part = fromReserved as ReservedPart | undefined;
      // Read after its worker's exit: the spend stays, its reservation was released by the exit.
      const taken = held.consume(from, refs as CounterRef[], part) ? part : undefined;
      return state.settle(refs as CounterRef[], cost as number, taken, bookedAt as number | undefined);
    },
    seedStatus: ([ref]) => state.seedStatus(ref as CounterRef),
    seed: ([ref, spentBefore]) => state.seed(ref as CounterRef, spentBefore as number),
    claimNotice: ([ref]) => state.claimNotice(ref as CounterRef),
    spent: ([refs]) => state.spent(refs as CounterRef[]),
    figures: ([refs]) => state.figures(refs as CounterRef[]),
    counterIds: ([prefix, limit]) => state.counterIds(prefix as string, limit as number),
    setOverride: ([override]) => state.setOverride(override as BudgetOverride),
    removeOverride: ([budget, value]) => state.removeOverride(budget as string, value as string),
    overrides: () => state.overrides(),
  };
}

/** What the workers' reservations hold on `state`'s counters, given back to it when a worker exits. */
export function budgetHoldings(state: BudgetState): WorkerHoldings<CounterRef> {
  return new WorkerHoldings((refs, part) => state.release(refs, part));
}

/**
 * A cluster worker's budget counters, held by the primary: a reservation is checked and applied in
 * one step there, so workers together never overspend a hard limit. Costs one IPC round trip per
 * reservation and settlement, like Redis's one network round trip.
 */
export class IpcBudgetState implements BudgetState {
  constructor(private readonly rpc: RpcClient) {}

  async reserve(refs: readonly CounterRef[], amount: number): Promise<ReserveResult> {
    return (await this.rpc.call(BUDGETS_TARGET, 'reserve', [refs, amount])) as ReserveResult;
  }

  async release(refs: readonly CounterRef[], reserved: ReservedPart): Promise<void> {
    await this.rpc.call(BUDGETS_TARGET, 'release', [refs, reserved]);
  }

  async settle(refs: readonly CounterRef[], cost: number, fromReserved: ReservedPart | undefined, bookedAt?: number): Promise<Array<number | undefined>> {
    return (await this.rpc.call(BUDGETS_TARGET, 'settle', [refs, cost, fromReserved, bookedAt])) as Array<number | undefined>;
  }

  async seedStatus(ref: CounterRef): Promise<SeedStatus> {
    return (await this.rpc.call(BUDGETS_TARGET, 'seedStatus', [ref])) as SeedStatus;
  }

  async seed(ref: CounterRef, spentBefore: number): Promise<void> {
    await this.rpc.call(BUDGETS_TARGET, 'seed', [ref, spentBefore]);
  }

  async claimNotice(ref: CounterRef): Promise<boolean> {
    return (await this.rpc.call(BUDGETS_TARGET, 'claimNotice', [ref])) === true;
  }

  async spent(refs: readonly CounterRef[]): Promise<Array<number | undefined>> {
    return (await this.rpc.call(BUDGETS_TARGET, 'spent', [refs])) as Array<number | undefined>;
  }

  async figures(refs: readonly CounterRef[]): Promise<Array<CounterFigures | undefined>> {
    return (await this.rpc.call(BUDGETS_TARGET, 'figures', [refs])) as Array<CounterFigures | undefined>;
  }

  async counterIds(prefix: string, limit: number): Promise<CounterListing> {
    return (await this.rpc.call(BUDGETS_TARGET, 'counterIds', [prefix, limit])) as CounterListing;
  }

  async setOverride(override: BudgetOverride): Promise<BudgetOverride | undefined> {
    return (await this.rpc.call(BUDGETS_TARGET, 'setOverride', [override])) as BudgetOverride | undefined;
  }

  async removeOverride(budget: string, value: string): Promise<BudgetOverride | undefined> {
    return (await this.rpc.call(BUDGETS_TARGET, 'removeOverride', [budget, value])) as BudgetOverride | undefined;
  }

  async overrides(): Promise<BudgetOverride[]> {
    return (await this.rpc.call(BUDGETS_TARGET, 'overrides', [])) as BudgetOverride[];
  }

  async close(): Promise<void> {}
}
