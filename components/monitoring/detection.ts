import { parse } from "yaml";
import { WINDOW_FILL } from "./contract";

/** The parts of a worst-case time to page, in seconds. */
export interface Detection {
  alert: string;
  /** The slowest scrape feeding the alert: the first sample after the outage is this late... */
  scrapeInterval: number;
  /** ...and stored this much later still, when the target hangs until the scrape times out. */
  scrapeTimeout: number;
  /** The rule group's evaluation interval. */
  evaluation: number;
  /**
   * For an alert on rate() or increase(): how much of the widest range the outage must fill
   * before the value crosses the threshold (WINDOW_FILL of it, all of it by default). 0 for an
   * alert on instant values.
   */
  window: number;
  /** The rule's `for`. */
  hold: number;
  /** group_wait of the Alertmanager route the alert takes. */
  groupWait: number;
  total: number;
}

interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  static_configs?: { labels?: Record<string, string> }[];
  relabel_configs?: { target_label?: string; replacement?: string }[];
}

interface Route {
  receiver?: string;
  matchers?: string[];
  continue?: boolean;
  group_wait?: string;
  routes?: Route[];
}

interface RuleFile {
  groups: {
    interval?: string;
    rules: { alert: string; expr: string; for?: string; labels?: Record<string, string> }[];
  }[];
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Seconds in a Prometheus duration such as `1m30s` or `10s`. */
export function seconds(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) {
    total += Number(amount) * UNITS[unit];
  }
  return total;
}

function matches(matcher: string, labels: Record<string, string>): boolean {
  const parsed = /^(\w+)(=~|!~|!=|=)"(.*)"$/.exec(matcher);
  if (!parsed) {
    throw new Error(`unsupported matcher ${matcher}`);
  }
  const [, name, op, value] = parsed;
  const actual = labels[name] ?? "";
  const regex = new RegExp(`^(?:${value})$`);
  switch (op) {
    case "=":
      return actual === value;
    case "!=":
      return actual !== value;
    case "=~":
      return regex.test(actual);
    default:
      return !regex.test(actual);
  }
}

/**
 * The first-matching routes an alert with `labels` takes, as Alertmanager walks the tree: the
 * deepest match wins, and `continue` lets later siblings match too.
 */
export function routesFor(route: Route, labels: Record<string, string>): Route[] {
  const found: Route[] = [];
  for (const child of route.routes ?? []) {
    if ((child.matchers ?? []).every((m) => matches(m, labels))) {
      const deeper = routesFor(child, labels);
      found.push(...(deeper.length > 0 ? deeper : [{ ...route, ...child }]));
      if (!child.continue) {
        break;
      }
    }
  }
  return found.length > 0 ? found : [route];
}

/** The job and probe labels a PromQL expression selects on. */
function selected(expr: string): { jobs: string[]; probes: string[] } {
  const values = (label: string) =>
    [...expr.matchAll(new RegExp(`${label}="([^"]+)"`, "g"))].map((m) => m[1]);
  return { jobs: values("job"), probes: values("probe") };
}

/** Seconds of the widest range selector (`[1m]`, or a subquery's `[5m:30s]`) in `expr`, or 0. */
export function widestRange(expr: string): number {
  const ranges = [...expr.matchAll(/\[(\d+(?:ms|[smhdw]))+(?::[^\]]*)?\]/g)].map((m) =>
    seconds(m[0].slice(1).split(/[:\]]/)[0]),
  );
  return Math.max(0, ...ranges);
}

/**
 * Seconds of the range an outage must cover before a rate or increase over it crosses the
 * threshold. Onset falls anywhere between two samples; whatever the phase, the sample that first
 * shows the outage spanning this much of the range comes at most one scrape interval later,
 * which the scrape term already counts. Rounded up to a tenth of a second, against the float
 * error of the fill's division.
 */
function windowTerm(alert: string, expr: string): number {
  const fill = WINDOW_FILL[alert] ?? 1;
  return Math.ceil(Math.round(fill * widestRange(expr) * 1000) / 100) / 10;
}

function jobLabel(config: ScrapeConfig): string {
  const relabel = config.relabel_configs?.find((r) => r.target_label === "job");
  return relabel?.replacement ?? config.job_name;
}

/**
 * Worst-case seconds from an outage to Alertmanager notifying, per alert, read from the rendered
 * prometheus.yml, rule files and alertmanager.yml: the slowest feeding scrape (interval and
 * timeout), the part of a rate's range the outage must fill, one evaluation interval, the rule's
 * `for`, and the route's group_wait. It assumes an outage that holds steadily from its start, at
 * the level WINDOW_FILL states where the budget needs one.
 */
export function worstCaseDetections(files: {
  prometheus: string;
  rules: string[];
  alertmanager: string;
}): Detection[] {
  const prometheus = parse(files.prometheus) as {
    global: { scrape_interval: string; scrape_timeout: string; evaluation_interval: string };
    scrape_configs: ScrapeConfig[];
  };
  const route = (parse(files.alertmanager) as { route: Route }).route;
  const detections: Detection[] = [];

  for (const file of files.rules) {
    for (const group of (parse(file) as RuleFile).groups) {
      const evaluation = seconds(group.interval ?? prometheus.global.evaluation_interval);
      for (const rule of group.rules) {
        const { jobs, probes } = selected(rule.expr);
        const feeding = prometheus.scrape_configs.filter((config) => {
          const probe = config.static_configs?.[0]?.labels?.probe;
          const jobMatches = jobs.length === 0 || jobs.includes(jobLabel(config));
          return (
            jobMatches && (probes.length === 0 || (probe !== undefined && probes.includes(probe)))
          );
        });
        const scrapes = feeding.map((c) => ({
          interval: seconds(c.scrape_interval ?? prometheus.global.scrape_interval),
          timeout: seconds(c.scrape_timeout ?? prometheus.global.scrape_timeout),
        }));
        const slowest = scrapes.reduce(
          (worst, s) => (s.interval + s.timeout > worst.interval + worst.timeout ? s : worst),
          { interval: 0, timeout: 0 },
        );
        const labels = { alertname: rule.alert, ...rule.labels };
        const groupWait = Math.max(
          ...routesFor(route, labels).map((r) =>
            seconds(r.group_wait ?? route.group_wait ?? "30s"),
          ),
        );
        const hold = seconds(rule.for ?? "0s");
        const window = windowTerm(rule.alert, rule.expr);
        detections.push({
          alert: rule.alert,
          scrapeInterval: slowest.interval,
          scrapeTimeout: slowest.timeout,
          evaluation,
          window,
          hold,
          groupWait,
          total: slowest.interval + slowest.timeout + evaluation + window + hold + groupWait,
        });
      }
    }
  }
  return detections;
}
