/**
 * A USD amount for people: at least cents, and as many more decimals as the value needs to be told
 * exactly (`$0.0506`, `$12.345`), so two different limits never print the same. Read at 15 significant
 * digits, which every decimal written with that many round-trips at, so a sum's float noise
 * (0.1 + 0.2) does not print.
 */
export function formatUsd(n: number): string {
  if (!Number.isFinite(n)) return `$${n}`;
  const exact = exactUsd(n);
  for (let digits = 2; digits <= 100; digits += 1) {
    const text = exact.toFixed(digits);
    if (Number(text) === exact) return `$${text}`;
  }
  return `$${exact}`;
}

/** A USD amount read at 15 significant digits: every digit it was written with, none of a sum's float noise. */
export function exactUsd(n: number): number {
  return Number.isFinite(n) ? Number(n.toPrecision(15)) : n;
}

/**
 * A counter's amount as reported (the budgets route, metrics): `exactUsd`, with anything under a
 * nano-dollar shown as 0. Many reservations taken and given back leave float residue (`5.08e-21`) on a
 * counter with nothing in flight; no real amount is that small (one token costs at least ~1e-8 USD),
 * and 15 significant digits keep the residue, as they keep a real amount's digits.
 */
export function reportedUsd(n: number): number {
  return Math.abs(n) < 1e-9 ? 0 : exactUsd(n);
}
