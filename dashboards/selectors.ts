import { sel } from "../components/monitoring/selectors";

/**
 * `sel`'s equality matchers followed by matchers written out, such as `status=~"5.."` or
 * `name!=""`, for the selectors the shared `sel` cannot express.
 */
export function selector(labels: Record<string, string>, ...others: string[]): string {
  const base = sel(labels);
  return others.length === 0 ? base : `${base.slice(0, -1)},${others.join(",")}}`;
}
