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

/** Seconds in words, for descriptions: `20 seconds`, `a minute`, `2 minutes`, `an hour`. */
export function spokenDuration(seconds: number): string {
  for (const [unit, size, one] of [
    ["hour", 3600, "an hour"],
    ["minute", 60, "a minute"],
  ] as const) {
    if (seconds >= size && seconds % size === 0) {
      return seconds === size ? one : `${seconds / size} ${unit}s`;
    }
  }
  return seconds === 1 ? "a second" : `${seconds} seconds`;
}
