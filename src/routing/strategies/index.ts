import type { Strategy } from './strategy.js';
import { priorityStrategy } from './priority.js';
import { roundRobinStrategy } from './round-robin.js';
import { weightedStrategy } from './weighted.js';
import { randomStrategy } from './random.js';
import { leastLatencyStrategy } from './least-latency.js';
import { leastBusyStrategy } from './least-busy.js';
import { costOptimizedStrategy } from './cost-optimized.js';
import type { StrategyName } from '../config.js';

export type { Strategy, Candidate, StrategyContext } from './strategy.js';

/** Adding a strategy: one file in this folder, one line here, one name in STRATEGIES. */
const FACTORIES: Record<StrategyName, () => Strategy> = {
  priority: priorityStrategy,
  'round-robin': roundRobinStrategy,
  weighted: weightedStrategy,
  random: randomStrategy,
  'least-latency': leastLatencyStrategy,
  'least-busy': leastBusyStrategy,
  'cost-optimized': costOptimizedStrategy,
};

export function createStrategy(name: StrategyName): Strategy {
  return FACTORIES[name]();
}
