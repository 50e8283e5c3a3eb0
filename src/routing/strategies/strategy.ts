/** A member of a group as a strategy sees it. */
export interface Candidate {
  id: string;
  weight: number;
}

/** What a strategy may know about the deployments and the group, all injected so tests control it. */
export interface StrategyContext {
  random(): number;
  /** Recent latency (EWMA, ms), undefined when never measured. */
  latency(id: string): number | undefined;
  /** Requests in flight on the deployment. */
  inFlight(id: string): number;
  /** Price per unit (any consistent unit); undefined when unknown. */
  price(id: string): number | undefined;
  /** least-latency: share of requests that explore a random member. */
  exploration: number;
}

/**
 * Orders a group's candidates for one request: the first is tried first, the rest are the fallback
 * order. One instance per group, so stateful strategies (round-robin) keep their own cursor.
 * Candidates arrive already filtered (residency, capabilities, context window, health).
 */
export interface Strategy {
  readonly name: string;
  /**
   * The order is a ranking every request shares (priority, cost tiers): the first member is the one
   * meant to serve and the others stand in for it, so a request served below a member dropped for its
   * health is a failover. False where the order spreads load (a pick, not a preference).
   */
  readonly ranked: boolean;
  order(candidates: readonly Candidate[], ctx: StrategyContext): Candidate[];
}
