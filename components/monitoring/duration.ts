/** Seconds as Prometheus writes durations: the largest whole unit, `90s`, `5m`, `1h`. */
export function duration(seconds: number): string {
  for (const [unit, size] of [
    ["w", 604800],
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) {
      return `${seconds / size}${unit}`;
    }
  }
  return `${seconds}s`;
}
