import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const CPU_MAX = '/sys/fs/cgroup/cpu.max';

/**
 * Cores this process may use: the container's cgroup v2 CPU limit (`quota period` in cpu.max, rounded
 * up; "max" means unlimited) capped by the cores Node sees, at least 1. The default of `--workers`.
 */
export function cpuLimit(read: () => string | undefined = readCpuMax, cores: number = availableParallelism()): number {
  const text = read()?.trim();
  const [quota, period] = text ? text.split(/\s+/) : [];
  const q = Number(quota);
  const p = Number(period ?? 100_000);
  if (quota === undefined || quota === 'max' || !Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return Math.max(1, cores);
  return Math.max(1, Math.min(cores, Math.ceil(q / p)));
}

function readCpuMax(): string | undefined {
  try {
    return readFileSync(CPU_MAX, 'utf8');
  } catch {
    return undefined;
  }
}
