// Number formatting shared by every command's output.

/** An accuracy in [0, 1] as a fixed 4-decimal string: 0.8912. */
export function formatAccuracy(acc: number): string {
  return Number.isFinite(acc) ? acc.toFixed(4) : '-';
}

/** A duration in seconds: 0.42 s, 12.3 s, 2 min 05 s. */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.round(seconds - minutes * 60)).padStart(2, '0')} s`;
}

/** A relative error in scientific notation: 3.14e-9. */
export function formatRelError(e: number): string {
  return Number.isFinite(e) ? e.toExponential(2) : String(e);
}

/** A throughput figure with 3 significant digits: 54.2. */
export function formatRate(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
