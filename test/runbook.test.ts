import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { SETTINGS } from "../components/config/settings";
import { renderAlertmanagerConfig } from "../components/monitoring/alertmanager-config";
import {
  HEALTH_CHECKS,
  HealthCheckName,
  RESPONSE_BUDGETS,
  THRESHOLDS,
} from "../components/monitoring/contract";
import { routesFor } from "../components/monitoring/detection";
import { AlertRule, ruleAreas, runbookAnchor } from "../components/monitoring/rules";
import { JOBS, PROBES } from "../components/monitoring/selectors";

const DOCS = path.join(__dirname, "..", "docs");
const PARTS = ["Meaning", "Impact", "Diagnose", "Mitigate"];
const RULES: AlertRule[] = ruleAreas(SETTINGS.backendDbPoolMax.default).flatMap((a) => a.rules);
const ALERTS = RULES.map((rule) => rule.alert);

interface Section {
  level: number;
  title: string;
  /** Every line up to the next heading of the same level or above, sub-sections included. */
  text: string;
}

/** Headings of a Markdown file, skipping fenced code, where `# comment` is no heading. */
function sections(markdown: string): Section[] {
  const lines = markdown.split("\n");
  const found: { level: number; title: string; start: number }[] = [];
  let fence: string | undefined;
  lines.forEach((line, index) => {
    const marker = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence !== undefined) {
      const closes =
        marker !== null &&
        marker[1][0] === fence[0] &&
        marker[1].length >= fence.length &&
        marker[2].trim() === "";
      fence = closes ? undefined : fence;
      return;
    }
    if (marker) {
      fence = marker[1];
      return;
    }
    const heading = /^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (heading) {
      found.push({ level: heading[1].length, title: heading[2], start: index });
    }
  });
  return found.map((heading, i) => {
    const next = found.slice(i + 1).find((h) => h.level <= heading.level);
    const text = lines.slice(heading.start + 1, next?.start ?? lines.length).join("\n");
    return { level: heading.level, title: heading.title, text };
  });
}

/** The anchor GitHub gives each heading, in order, numbering repeats as GitHub does. */
function githubAnchors(headings: Section[]): string[] {
  const seen = new Map<string, number>();
  return headings.map(({ title }) => {
    const slug = title
      .replace(/`/g, "")
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    return count === 0 ? slug : `${slug}-${count}`;
  });
}

/** The cells of a table row, trimmed and without code backticks. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split("|")
    .map((cell) => cell.replace(/`/g, "").trim());
}

/** Every table row of a text, header and separator rows included. */
function rows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.trim().startsWith("|"))
    .map(cells);
}

/** Every table of a text, as records keyed by its header cells. */
function tables(text: string): Record<string, string>[][] {
  const found: Record<string, string>[][] = [];
  let header: string[] | undefined;
  for (const line of text.split("\n")) {
    if (!line.trim().startsWith("|")) {
      header = undefined;
      continue;
    }
    const row = cells(line);
    if (header === undefined) {
      header = row;
      found.push([]);
    } else if (!row.every((cell) => /^:?-+:?$/.test(cell))) {
      const names = header;
      found[found.length - 1].push(Object.fromEntries(row.map((cell, i) => [names[i], cell])));
    }
  }
  return found;
}

/** The value of the first column whose header matches. */
function column(row: Record<string, string>, header: RegExp): string | undefined {
  const key = Object.keys(row).find((name) => header.test(name));
  return key === undefined ? undefined : row[key];
}

function words(cell: string): string[] {
  return cell.split(/[\s,;]+/).filter((word) => word !== "");
}

describe("docs/runbook.md", () => {
  let all: Section[];
  let alertSections: Section[];

  before(() => {
    all = sections(fs.readFileSync(path.join(DOCS, "runbook.md"), "utf8"));
    alertSections = all.filter((s) => s.level === 3);
  });

  function level2(title: RegExp): Section {
    const found = all.find((s) => s.level === 2 && title.test(s.title));
    assert.ok(found, `no ## section matching ${String(title)}`);
    return found;
  }

  it("has exactly one ### section per alert, titled with the alert's name alone", () => {
    for (const alert of ALERTS) {
      const count = alertSections.filter((s) => s.title === alert).length;
      assert.equal(count, 1, `${alert} has ${count} ### sections`);
    }
  });

  it("uses ### only for alerts that exist", () => {
    const unknown = alertSections.map((s) => s.title).filter((t) => !ALERTS.includes(t));
    assert.deepEqual(unknown, []);
  });

  it("puts the alert sections after ## Alerts, in the order of the rules", () => {
    const alertsHeading = all.findIndex((s) => s.level === 2 && s.title === "Alerts");
    assert.ok(alertsHeading >= 0, "no ## Alerts section");
    const early = all.slice(0, alertsHeading).filter((s) => s.level === 3);
    assert.deepEqual(
      early.map((s) => s.title),
      [],
    );
    assert.deepEqual(
      alertSections.map((s) => s.title),
      ALERTS,
    );
  });

  it("gives every alert a Meaning, an Impact, a Diagnose and a Mitigate part, in that order", () => {
    for (const section of alertSections) {
      const positions = PARTS.map((part) =>
        section.text.search(new RegExp(`^(?:\\*\\*${part}\\b|#{4,6}\\s+${part}\\b)`, "m")),
      );
      PARTS.forEach((part, i) =>
        assert.ok(positions[i] >= 0, `${section.title} has no ${part} part`),
      );
      assert.deepEqual(
        [...positions].sort((a, b) => a - b),
        positions,
        `${section.title}'s parts are out of order`,
      );
    }
  });

  it("has the anchor each alert's runbook_url points at", () => {
    const anchors = githubAnchors(all);
    for (const alert of ALERTS) {
      const index = all.findIndex((s) => s.level === 3 && s.title === alert);
      assert.equal(anchors[index], runbookAnchor(alert), `${alert}'s heading`);
    }
  });

  it("names every response budget of the contract with its seconds in the escalation matrix", () => {
    const matrix = rows(level2(/escalation/i).text);
    for (const [alert, seconds] of Object.entries(RESPONSE_BUDGETS)) {
      const row = matrix.find((r) => r.includes(alert) && r.some((c) => c === `${seconds} s`));
      assert.ok(row, `no escalation row names ${alert} with ${seconds} s`);
    }
  });

  it("sends every alert to the receiver Alertmanager routes it to", () => {
    const config = parse(
      renderAlertmanagerConfig({ slack: true, pagerduty: true, deadMansSwitch: true }),
    ) as {
      route: Parameters<typeof routesFor>[0];
    };
    const matrix = rows(level2(/escalation/i).text);
    for (const rule of RULES) {
      const labels = { alertname: rule.alert, severity: rule.severity, team: rule.team };
      for (const { receiver } of routesFor(config.route, labels)) {
        const row = matrix.find(
          (r) => r.includes(receiver ?? "") && r.some((c) => words(c).includes(rule.alert)),
        );
        assert.ok(row, `no escalation row sends ${rule.alert} to ${receiver}`);
      }
    }
  });

  it("lists every health check with its endpoint, timeout, interval and probe", () => {
    const table = tables(level2(/health.check/i).text).flat();
    for (const check of Object.keys(HEALTH_CHECKS) as HealthCheckName[]) {
      const spec = HEALTH_CHECKS[check];
      const row = table.find((r) => column(r, /probe/i) === PROBES[check]);
      assert.ok(row, `no health-check row for probe ${PROBES[check]}`);
      const endpoint = new URL(column(row, /endpoint/i) ?? "");
      assert.equal(endpoint.hostname, spec.service, `${check}'s host`);
      assert.equal(endpoint.pathname, spec.path, `${check}'s path`);
      assert.equal(column(row, /timeout/i), `${spec.timeout} s`, `${check}'s timeout`);
      assert.equal(column(row, /every|interval/i), `${spec.interval} s`, `${check}'s interval`);
    }
  });
});

interface DocumentedMetric {
  type: string;
  labels: string;
  usedBy: string;
}

const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;

/** Every selector on the backend's job in the rules: metric, matchers, and the alert using it. */
function backendSelectors(): { metric: string; matchers: string; alert: string }[] {
  const found: { metric: string; matchers: string; alert: string }[] = [];
  const selector = new RegExp(`([a-zA-Z_:][a-zA-Z0-9_:]*)\\{(job="${JOBS.backend}"[^}]*)\\}`, "g");
  for (const rule of RULES) {
    const matches = [...rule.expr.matchAll(selector)];
    // A selector that puts job elsewhere would slip past the pattern: fail instead of missing it.
    const mentions = rule.expr.split(`job="${JOBS.backend}"`).length - 1;
    assert.equal(matches.length, mentions, `${rule.alert} selects job="backend" in another form`);
    // `up` is Prometheus's own series about the scrape, not a metric the backend serves.
    const served = matches.filter(([, metric]) => metric !== "up");
    found.push(...served.map(([, metric, matchers]) => ({ metric, matchers, alert: rule.alert })));
  }
  return found;
}

describe("docs/backend-metrics.md", () => {
  let doc: string;
  let documented: Map<string, DocumentedMetric>;
  let selectors: { metric: string; matchers: string; alert: string }[];

  before(() => {
    doc = fs.readFileSync(path.join(DOCS, "backend-metrics.md"), "utf8");
    documented = new Map();
    for (const row of tables(doc).flat()) {
      const [name, type] = [column(row, /^metric/i), column(row, /^type/i)];
      if (name && type && ["counter", "gauge", "histogram"].includes(type)) {
        const labels = column(row, /label/i) ?? "";
        documented.set(name, { type, labels, usedBy: column(row, /used by/i) ?? "" });
      }
    }
    selectors = backendSelectors();
  });

  /** The documented metric a series belongs to: itself, or the histogram it is a part of. */
  function owner(series: string): [string, DocumentedMetric] | undefined {
    const direct = documented.get(series);
    if (direct) {
      return [series, direct];
    }
    const base = series.replace(HISTOGRAM_SERIES, "");
    const histogram = documented.get(base);
    return histogram?.type === "histogram" ? [base, histogram] : undefined;
  }

  it("finds the backend's metrics in the rules", () => {
    assert.ok(selectors.some((s) => s.metric === "payment_attempts_total"));
  });

  it("documents every metric the rules select on the backend's job, with its labels and alerts", () => {
    for (const { metric, matchers, alert } of selectors) {
      const found = owner(metric);
      assert.ok(found, `${metric} (used by ${alert}) is not documented`);
      const [name, entry] = found;
      assert.ok(words(entry.usedBy).includes(alert), `${name} does not name ${alert} as its user`);
      for (const [, label, op, value] of matchers.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
        if (label === "job") {
          continue;
        }
        assert.match(entry.labels, new RegExp(`\\b${label}\\b`), `${name} lacks label ${label}`);
        if (op === "=") {
          assert.ok(words(entry.labels).includes(value), `${name}'s ${label} lacks "${value}"`);
        }
      }
    }
  });

  it("lists only metrics a rule uses, or marks them informational", () => {
    const users = new Map<string, Set<string>>();
    for (const { metric, alert } of selectors) {
      const name = owner(metric)?.[0] ?? metric;
      users.set(name, (users.get(name) ?? new Set()).add(alert));
    }
    for (const [name, entry] of documented) {
      const alerts = users.get(name);
      if (alerts === undefined) {
        assert.match(entry.usedBy, /informational/i, `${name} is used by no rule`);
      } else {
        const claimed = words(entry.usedBy).filter((word) => /^[A-Z][A-Za-z0-9]+$/.test(word));
        assert.deepEqual(claimed.sort(), [...alerts].sort(), `${name}'s users`);
      }
    }
  });

  it("recommends histogram buckets with the p95 threshold as a boundary", () => {
    const buckets = /buckets:\s*\[([^\]]*)\]/.exec(doc)?.[1];
    assert.ok(buckets, "no buckets: [...] list");
    const bounds = buckets.split(",").map(Number);
    assert.ok(bounds.includes(THRESHOLDS.apiP95Seconds), `${THRESHOLDS.apiP95Seconds} s missing`);
    assert.deepEqual(
      [...bounds].sort((a, b) => a - b),
      bounds,
    );
    assert.match(doc, new RegExp(`_bucket\\{le="${THRESHOLDS.apiP95Seconds}"`));
  });

  it("shows every documented metric with its type in the example exposition", () => {
    for (const [name, { type }] of documented) {
      assert.match(doc, new RegExp(`^# TYPE ${name} ${type}$`, "m"), `${name} ${type}`);
    }
  });
});
