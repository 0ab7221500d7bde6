import { parse } from "yaml";

/** The parts of a worst-case time to page, in seconds. */
export interface Detection {
  alert: string;
  /** The slowest scrape feeding the alert: interval plus timeout (a hanging target waits it out). */
  scrape: number;
  /** The rule group's evaluation interval. */
  evaluation: number;
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

function jobLabel(config: ScrapeConfig): string {
  const relabel = config.relabel_configs?.find((r) => r.target_label === "job");
  return relabel?.replacement ?? config.job_name;
}

/**
 * Worst-case seconds from an outage to Alertmanager notifying, per alert, read from the rendered
 * prometheus.yml, rule files and alertmanager.yml: the slowest feeding scrape (interval and
 * timeout), one evaluation interval, the rule's `for`, and the route's group_wait.
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
        const scrape = Math.max(
          0,
          ...feeding.map(
            (c) =>
              seconds(c.scrape_interval ?? prometheus.global.scrape_interval) +
              seconds(c.scrape_timeout ?? prometheus.global.scrape_timeout),
          ),
        );
        const labels = { alertname: rule.alert, ...rule.labels };
        const groupWait = Math.max(
          ...routesFor(route, labels).map((r) =>
            seconds(r.group_wait ?? route.group_wait ?? "30s"),
          ),
        );
        const hold = seconds(rule.for ?? "0s");
        detections.push({
          alert: rule.alert,
          scrape,
          evaluation,
          hold,
          groupWait,
          total: scrape + evaluation + hold + groupWait,
        });
      }
    }
  }
  return detections;
}
