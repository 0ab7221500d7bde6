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
import { DRILL_ALERTS, DRILL_SECRETS, MonitoringDrill } from "./support/monitoring-drill";
import { waitFor } from "./support/processes";
import { dashboardExpressions, ruleExpressions } from "./support/promql";
import { readRendered, renderedRuleFiles, renderedStack } from "./support/rendered";

// Work of the kind the catalogue's Postgres names describe: a table with inserts, updates and
// deletes, and statements calling PostGIS functions, so that pg_stat_statements and
// pg_stat_user_tables have rows for the queries file to report.
const DATABASE_WORK = `CREATE TABLE drill_pickups (id serial PRIMARY KEY, location geometry(Point, 4326));
INSERT INTO drill_pickups (location)
  SELECT ST_SetSRID(ST_MakePoint(i, i), 4326) FROM generate_series(1, 10) AS i;
UPDATE drill_pickups SET location = ST_Translate(location, 1, 1) WHERE id < 5;
DELETE FROM drill_pickups WHERE id > 8;
SELECT count(*) FROM drill_pickups
  WHERE ST_DWithin(location, ST_SetSRID(ST_MakePoint(3, 3), 4326), 2);`;

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
    it("serves every catalogued name of each exporter the drill runs, from Debian's builds", async function () {
      this.timeout(150000);
      assert.ok(drill);
      await drill.sql(DATABASE_WORK);
      // The certificate probe runs once a minute; the other jobs every 10 or 15 s.
      await drill.scrapedOnce(90);
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

    it("evaluates every rule and dashboard query on the drill's Prometheus without an error", async function () {
      this.timeout(60000);
      assert.ok(drill);
      const expressions = [...ruleExpressions(rendered), ...dashboardExpressions(rendered)];
      let withData = 0;
      for (const { where, expr } of expressions) {
        const response = await fetch(`${drill.prometheus}/api/v1/query`, {
          method: "POST",
          body: new URLSearchParams({ query: expr }),
          signal: AbortSignal.timeout(10000),
        });
        const body = (await response.json()) as {
          status: string;
          error?: string;
          data?: { result: unknown[] };
        };
        assert.equal(body.status, "success", `${where}: ${body.error ?? ""}\n${expr}`);
        withData += (body.data?.result.length ?? 0) > 0 ? 1 : 0;
      }
      console.log(`      ${expressions.length} queries evaluated, ${withData} returned data`);
    });
  });
});
