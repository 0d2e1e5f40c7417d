/** Medians and spreads of repeated measurements, and ratios as the bench prints them. Pure. */

/** Order statistics of one series (milliseconds or any unit). */
export interface Spread {
  n: number;
  p10: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** p10/p50/p90/p99, min and max of `values`. */
export function summarise(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p10: percentile(sorted, 10),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** "0.83x", or "-" without a reference. */
export function ratio(value: number, reference: number | undefined): string {
  return reference && Number.isFinite(value) ? `${(value / reference).toFixed(2)}x` : "-";
}
