const UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Sizes are written as Docker and Redis read them: a whole number and k, m or g (b optional). */
export const SIZE_PATTERN = /^([1-9][0-9]*)\s*([kmg])b?$/i;

/** Bytes in a size such as `512m`, `2g` or `64MB`; undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) {
    return undefined;
  }
  return Number(match[1]) * UNITS[match[2].toLowerCase()];
}

/** Bytes in a size that validation accepted; throws rather than guess at anything else. */
export function sizeBytes(text: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) {
    throw new Error(`"${text}" is not a size such as 256m or 2g`);
  }
  return bytes;
}

/**
 * Whole megabytes, the unit of the Docker provider's `memory` field. Throws below one megabyte:
 * Docker reads a limit of 0 as no limit at all.
 */
export function toMegabytes(bytes: number): number {
  const megabytes = Math.floor(bytes / 1024 ** 2);
  if (megabytes < 1) {
    throw new Error(`${bytes} bytes is below 1 MB; Docker would run the container without a limit`);
  }
  return megabytes;
}

/** PostgreSQL's own notation (kB, MB, GB are case-sensitive there), in the largest exact unit. */
export function toPostgresSize(bytes: number): string {
  // PostgreSQL reads 0 as "use the default" or refuses it; neither is what a size meant.
  if (bytes < 1024) {
    throw new Error(`${bytes} bytes is below 1kB, PostgreSQL's smallest memory unit`);
  }
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
