import assert from "node:assert/strict";
import { HEARTBEAT_PERIOD } from "../components/monitoring/alertmanager-config";
import { RESPONSE_BUDGETS } from "../components/monitoring/contract";
import { worstCaseDetections } from "../components/monitoring/detection";
import {
  METRIC_CATALOGUE,
  MetricSourceName,
  sourceMetrics,
} from "../components/monitoring/metric-catalogue";
import { liveNames } from "./support/catalogue-check";
import { runWorkload, SLOW_COMMANDS } from "./support/drill-workload";
import { liveTypes } from "./support/metric-types";
import { DRILL_ALERTS, DRILL_SECRETS, MonitoringDrill } from "./support/monitoring-drill";
import { waitFor } from "./support/processes";
import { dashboardExpressions, parsePromql, ruleExpressions } from "./support/promql";
import { readRendered, renderedRuleFiles, renderedStack } from "./support/rendered";

/** One instant query's result on the drill's Prometheus. */
interface QueryResult {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** The PostGIS counters postgres_exporter serves now, by series. */
async function postgisSeries(exporter: string): Promise<Map<string, number>> {
  const response = await fetch(`http://${exporter}/metrics`, {
    signal: AbortSignal.timeout(15000),
  });
  assert.equal(response.status, 200);
  const lines = (await response.text()).split("\n");
  return new Map(
    lines
      .filter((line) => line.startsWith("pg_postgis_statements_"))
      .map((line) => [line.replace(/ \S+$/, ""), Number(line.split(" ").pop())]),
  );
}

async function instantQuery(prometheus: string, expr: string): Promise<QueryResult> {
  const response = await fetch(`${prometheus}/api/v1/query`, {
    method: "POST",
    body: new URLSearchParams({ query: expr }),
    signal: AbortSignal.timeout(10000),
  });
  return (await response.json()) as QueryResult;
}

// Dashboard queries the drill cannot fill, by where they are, and why. Every other dashboard
// query must return data: its metrics come from a source the drill runs for real, so an empty
// answer means a wrong name or label, which would leave the panel empty in production too.
const EXPECTED_EMPTY: Record<string, string> = {
  ...Object.fromEntries(
    ["A", "B", "C"].map((ref) => [
      `dashboards/production-overview.json "API latency" ${ref}`,
      "the backend stand-in serves no latency histogram",
    ]),
  ),
  'dashboards/production-overview.json "Failed logins" A':
    "the backend stand-in serves no login counter",
  'dashboards/production-overview.json "Active users" B':
    "an hour ago, before the drill's Prometheus held any sample",
  'dashboards/production-overview.json "Churn rate" B':
    "a week ago, before the drill's Prometheus held any sample",
  'dashboards/production-overview.json "Container CPU" A':
    "cAdvisor is not packaged in Debian and needs a Docker engine",
  'dashboards/production-overview.json "Container memory" A':
    "cAdvisor is not packaged in Debian and needs a Docker engine",
  'dashboards/database-performance.json "Backend connections" A':
    "no backend connects as the application's role in the drill",
  'dashboards/database-performance.json "Backend pool in use" A':
    "no backend connects as the application's role in the drill",
  ...Object.fromEntries(
    ["Last full backup", "Last incremental or full backup", "Backup duration", "Backup size"].map(
      (title) => [
        `dashboards/database-performance.json "${title}" A`,
        "the backup jobs do not run in the drill; their metrics are checked in the backup tests",
      ],
    ),
  ),
};

// The live drill: the dev stack's rendered monitoring on loopback, with the real servers stopped
// one at a time. What is measured is the wall time from the stop until Alertmanager holds the
// alert as active; the route's group_wait then runs before the first notification, so the time to
// page is the two added, and that is what the runbook's budget bounds.
describe("live drill: each outage reaches Alertmanager within the runbook's response time", () => {
  let drill: MonitoringDrill | undefined;
  let rendered: string;

  before(async function () {
    this.timeout(180000);
    rendered = await renderedStack("dev", DRILL_SECRETS);
    drill = await MonitoringDrill.start(rendered);
  });

  after(async function () {
    this.timeout(60000);
    await drill?.stop();
  });

  for (const alert of DRILL_ALERTS) {
    it(`pages ${alert} within ${RESPONSE_BUDGETS[alert]} s`, async function () {
      const budget = RESPONSE_BUDGETS[alert];
      this.timeout((2 * budget + 120) * 1000);
      assert.ok(drill);
      const model = worstCaseDetections({
        prometheus: readRendered(rendered, "monitoring/prometheus.yml"),
        alertmanager: readRendered(rendered, "monitoring/alertmanager.yml"),
        rules: [...renderedRuleFiles(rendered).values()],
      }).find((d) => d.alert === alert);
      assert.ok(model, `${alert} is not in the rendered rules`);
      const held = await drill.measure(alert, budget);
      const page = held + model.groupWait;
      console.log(
        `      ${alert}: held after ${held.toFixed(1)} s, paged by ${page.toFixed(1)} s ` +
          `(worst case ${model.total} s, budget ${budget} s)`,
      );
      assert.ok(page <= budget, `${alert} paged after ${page.toFixed(1)} s, budget ${budget} s`);
    });
  }

  // Placed after the outages, which take minutes: by then the pings have usually arrived.
  it(`pings the heartbeat check with the Watchdog, a POST every ${HEARTBEAT_PERIOD} s`, async function () {
    this.timeout((2 * HEARTBEAT_PERIOD + 60) * 1000);
    assert.ok(drill);
    const pings = drill.pings;
    const enough = () => pings.length >= 2;
    await waitFor("two pings of the heartbeat check", enough, (2 * HEARTBEAT_PERIOD + 30) * 1000);
    const gaps = pings.slice(1).map((ping, i) => (ping.at - pings[i].at) / 1000);
    console.log(
      `      ${pings.length} pings, ${gaps.map((gap) => gap.toFixed(1)).join(", ")} s apart`,
    );
    for (const gap of gaps) {
      assert.ok(Math.abs(gap - HEARTBEAT_PERIOD) <= 5, `pings ${gap} s apart`);
    }
    for (const ping of pings) {
      assert.equal(ping.method, "POST");
      assert.match(ping.body, /"title":"Watchdog"/);
      // The real Prometheus fills in the external label that promtool 2.42 leaves out.
      assert.match(ping.body, /"text":"Heartbeat of the dev stack's alerting/);
    }
  });

  describe("the metrics the rules and dashboards select, on the real exporters", () => {
    before(async function () {
      this.timeout(150000);
      assert.ok(drill);
      await runWorkload(drill);
      // The certificate probe runs once a minute; the other jobs every 10 or 15 s.
      await drill.scrapedOnce(90);
    });

    it("serves every catalogued name of each exporter the drill runs, from Debian's builds", async function () {
      this.timeout(60000);
      assert.ok(drill);
      const live = await liveNames(drill, rendered);
      const missing: string[] = [];
      const skipped: string[] = [];
      for (const [source, names] of Object.entries(live) as [MetricSourceName, Set<string>][]) {
        const spec = METRIC_CATALOGUE[source];
        for (const metric of sourceMetrics(spec)) {
          if (spec.newerOnly?.[metric]) {
            skipped.push(`${source}:${metric} (${spec.newerOnly[metric]})`);
          } else if (!names.has(metric)) {
            missing.push(`${source}:${metric}`);
          }
        }
      }
      const unchecked = Object.keys(METRIC_CATALOGUE).filter((source) => !(source in live));
      console.log(
        `      checked ${Object.keys(live).join(", ")}; not run here: ${unchecked.join(", ")}` +
          (skipped.length > 0 ? `; only in newer releases: ${skipped.join(", ")}` : ""),
      );
      assert.deepEqual(missing, [], "catalogued names the real exporters do not serve");
      assert.deepEqual(unchecked, ["cadvisor", "backend", "backup"]);
    });

    it("runs the whole queries file without an error in postgres_exporter", async () => {
      assert.ok(drill);
      const response = await fetch(`http://${drill.endpoints.postgres}/metrics`);
      assert.match(await response.text(), /^pg_exporter_last_scrape_error 0$/m);
    });

    it("serves postgres_exporter's /metrics after a statement ran on its own and inside a function", async () => {
      // Two rows with the same labels make the exporter answer 500, which Prometheus reads as
      // the database being down.
      assert.ok(drill);
      const response = await fetch(`http://${drill.endpoints.postgres}/metrics`);
      const text = await response.text();
      assert.equal(response.status, 200, text.slice(0, 400));
      const top = text.split("\n").filter((l) => l.startsWith("pg_stat_statements_top_calls{"));
      assert.equal(new Set(top.map((l) => l.replace(/ \S+$/, ""))).size, top.length);
      assert.ok(
        top.some((line) => line.includes("ST_DWithin")),
        "no PostGIS statement in the top",
      );
    });

    it("counts new entries of Redis's slow log with a function meant for its gauge", async function () {
      this.timeout(60000);
      assert.ok(drill);
      const prometheus = drill.prometheus;
      const panel = dashboardExpressions(rendered).find((q) =>
        q.where.startsWith('dashboards/services.json "Redis slow log" B'),
      );
      assert.ok(panel, "no query for new slow-log entries");
      // The drill restarted Redis, whose first slow entry then has id 0, as an empty log reads.
      const seen = SLOW_COMMANDS - 1;
      let value = NaN;
      await waitFor(
        `${panel.expr} to count the workload's slow commands`,
        async () => {
          const body = await instantQuery(prometheus, panel.expr);
          value = Number(body.data?.result[0]?.value[1]);
          return value >= seen;
        },
        30000,
      ).catch(() => undefined);
      assert.ok(value >= seen && value < seen + 1, `${panel.expr} = ${value}`);
    });

    it("evaluates every rule and dashboard query on the drill's Prometheus without an error", async function () {
      this.timeout(60000);
      assert.ok(drill);
      const expressions = [...ruleExpressions(rendered), ...dashboardExpressions(rendered)];
      for (const { where, expr } of expressions) {
        const body = await instantQuery(drill.prometheus, expr);
        assert.equal(body.status, "success", `${where}: ${body.error ?? ""}\n${expr}`);
      }
    });

    it("returns data for every dashboard query but the listed ones, which stay empty", async function () {
      this.timeout(120000);
      assert.ok(drill);
      const prometheus = drill.prometheus;
      const queries = dashboardExpressions(rendered);
      const empty = async () => {
        const found: string[] = [];
        for (const { where, expr } of queries) {
          const body = await instantQuery(prometheus, expr);
          if ((body.data?.result.length ?? 0) === 0) {
            found.push(where);
          }
        }
        return found;
      };
      // A rate needs two scrapes of a series the workload has just made; wait for them.
      let found: string[] = [];
      await waitFor(
        "every dashboard query expected to have data to return some",
        async () => {
          found = await empty();
          return found.every((where) => where in EXPECTED_EMPTY);
        },
        90000,
      ).catch(() => undefined);
      console.log(`      ${queries.length - found.length} of ${queries.length} returned data`);
      assert.deepEqual(found.sort(), Object.keys(EXPECTED_EMPTY).sort());
    });

    it("reads counters with rate and increase and gauges with delta, as the real exporters type them", async function () {
      this.timeout(60000);
      assert.ok(drill);
      const types = await liveTypes(drill);
      const wrong: string[] = [];
      for (const { where, expr } of [
        ...ruleExpressions(rendered),
        ...dashboardExpressions(rendered),
      ]) {
        const parsed = parsePromql(expr);
        for (const metric of parsed.readAsCounter.filter((m) => types.get(m) === "gauge")) {
          wrong.push(`${where}: a counter function reads the gauge ${metric}`);
        }
        for (const metric of parsed.readAsGauge.filter((m) => types.get(m) === "counter")) {
          wrong.push(`${where}: a gauge function reads the counter ${metric}`);
        }
      }
      assert.deepEqual(wrong, []);
    });

    it("lets no PostGIS counter go down when pg_stat_statements drops a statement", async () => {
      assert.ok(drill);
      const exporter = drill.endpoints.postgres;
      const before = await postgisSeries(exporter);
      await drill.sql(`SELECT pg_stat_statements_reset(0, 0, queryid) FROM pg_stat_statements
        WHERE query LIKE 'INSERT INTO drill_pickups%'`);
      const after = await postgisSeries(exporter);
      const lower = [...after].filter(([series, value]) => value < (before.get(series) ?? 0));
      assert.deepEqual(lower, [], "series a rate would read as a counter reset");
      assert.ok(after.size < before.size, "the dropped statement's series are still served");
    });
  });
});
