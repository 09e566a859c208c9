// Latency summaries: nearest-rank percentiles over raw samples (milliseconds).

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of sorted samples; NaN when there are none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    n: sorted.length,
    p50: round2(percentile(sorted, 50)),
    p90: round2(percentile(sorted, 90)),
    p99: round2(percentile(sorted, 99)),
    mean: round2(sorted.length ? sum / sorted.length : Number.NaN),
    min: round2(sorted[0] ?? Number.NaN),
    max: round2(sorted.at(-1) ?? Number.NaN),
  };
}

/** toolgate / baseline, two decimals; "n/a" when the baseline is zero or missing. */
export function ratio(toolgate: number, baseline: number): number | null {
  if (!Number.isFinite(toolgate) || !Number.isFinite(baseline) || baseline <= 0) return null;
  return round2(toolgate / baseline);
}

export { round2 };
