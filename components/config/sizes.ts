const UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Sizes are written the way Docker and Redis read them: a whole number and k, m or g (b optional). */
export const SIZE_PATTERN = /^([1-9][0-9]*)\s*([kmg])b?$/i;

/** Bytes in a size such as `512m`, `2g` or `64MB`; undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) {
    return undefined;
  }
  return Number(match[1]) * UNITS[match[2].toLowerCase()];
}

/** Whole megabytes, the unit of the Docker provider's `memory` field. */
export function toMegabytes(bytes: number): number {
  return Math.floor(bytes / 1024 ** 2);
}

/** PostgreSQL's own notation (kB, MB, GB are case-sensitive there), in the largest exact unit. */
export function toPostgresSize(bytes: number): string {
  for (const [unit, factor] of [
    ["GB", 1024 ** 3],
    ["MB", 1024 ** 2],
  ] as const) {
    if (bytes % factor === 0) {
      return `${bytes / factor}${unit}`;
    }
  }
  return `${Math.ceil(bytes / 1024)}kB`;
}

/** Redis accepts plain bytes for `maxmemory`; bytes avoid its kb-versus-k ambiguity. */
export function toRedisBytes(bytes: number): string {
  return String(bytes);
}
