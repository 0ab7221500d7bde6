/**
 * `part`, or 0 wherever `whole` has a series and `part` has none. A counter's series for an error
 * status or outcome only appears with the first such error, so a panel that selects errors alone
 * shows "No data" while all is well. With no `whole` either (no traffic at all), the result stays
 * empty, so an idle service does not pass for a healthy one. Both sides must carry the same
 * labels, as two `sum`s without `by` do.
 */
export function orZero(part: string, whole: string): string {
  return `(
  ${part}
  or
  ${whole} * 0
)`;
}
