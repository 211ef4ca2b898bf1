// Summaries of measured samples. Percentiles use the nearest-rank method, so every reported
// percentile is a value that was measured.

/**
 * Returns the nearest-rank percentile of sorted values, or null for no values.
 * @param {number[]} sorted ascending
 * @param {number} fraction 0 to 1
 */
export function percentile(sorted, fraction) {
  if (sorted.length === 0) {
    return null;
  }
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));

  return sorted[Math.min(rank, sorted.length) - 1];
}

/**
 * Returns count, min, mean, p50, p95, p99 and max of the values, rounded to `digits` decimals.
 * @param {number[]} values
 * @param {number} [digits]
 */
export function summarize(values, digits = 2) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (value) => (value === null || value === undefined ? null : Number(value.toFixed(digits)));
  const mean = sorted.length === 0 ? null : sorted.reduce((sum, value) => sum + value, 0) / sorted.length;

  return {
    count: sorted.length,
    min: round(sorted[0]),
    mean: round(mean),
    p50: round(percentile(sorted, 0.5)),
    p95: round(percentile(sorted, 0.95)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.at(-1)),
  };
}

/**
 * Converts bytes to megabytes (10^6 bytes, the unit of the targets), rounded to one decimal.
 * @param {number} bytes
 */
export function megabytes(bytes) {
  return Number((bytes / 1_000_000).toFixed(1));
}
