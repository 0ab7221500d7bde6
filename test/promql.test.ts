import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildDashboards } from "../dashboards";
import { ruleAreas } from "../components/monitoring/rules";
import {
  catalogueIndex,
  METRIC_CATALOGUE,
  MetricSourceName,
} from "../components/monitoring/metric-catalogue";
import {
  dashboardExpressions,
  parsePromql,
  ruleExpressions,
  ShippedExpression,
} from "./support/promql";
import { renderedStack } from "./support/rendered";

const STACKS = ["dev", "prod"] as const;

// Every expression the stack ships, as rendered, read by the PromQL grammar of Prometheus's own
// web UI (@prometheus-io/lezer-promql); the live drill then runs them on a real Prometheus.
describe("PromQL of the rendered alert rules and dashboards", () => {
  const shipped = new Map<string, ShippedExpression[]>();

  before(async () => {
    for (const stack of STACKS) {
      const out = await renderedStack(stack);
      shipped.set(stack, [...ruleExpressions(out), ...dashboardExpressions(out)]);
    }
  });

  it("finds every alert rule and every dashboard query", () => {
    const rules = ruleAreas(20).flatMap((area) => area.rules).length;
    const queries = buildDashboards({ poolMax: 20 })
      .flatMap(({ model }) => model.panels ?? [])
      .flatMap((panel) => ("targets" in panel ? (panel.targets ?? []) : [])).length;
    assert.ok(queries > 50, `only ${queries} dashboard queries`);
    for (const stack of STACKS) {
      const expressions = shipped.get(stack) ?? [];
      assert.equal(expressions.filter((e) => e.where.startsWith("rules/")).length, rules);
      assert.equal(expressions.filter((e) => e.where.startsWith("dashboards/")).length, queries);
    }
  });

  for (const stack of STACKS) {
    it(`parses every expression of ${stack} without a syntax error`, () => {
      for (const { where, expr } of shipped.get(stack) ?? []) {
        assert.deepEqual(parsePromql(expr).errors, [], `${where}:\n${expr}`);
      }
    });

    it(`names a metric in every selector of ${stack}`, () => {
      for (const { where, expr } of shipped.get(stack) ?? []) {
        assert.deepEqual(parsePromql(expr).nameless, [], `${where} selects by labels alone`);
      }
    });

    it(`selects only metrics of the catalogue in ${stack}`, () => {
      const index = catalogueIndex();
      for (const { where, expr } of shipped.get(stack) ?? []) {
        for (const metric of parsePromql(expr).metrics) {
          assert.ok(index.has(metric), `${where} selects ${metric}, which no source provides`);
        }
      }
    });

    it(`writes dashboard queries of ${stack} over several lines once they are long`, () => {
      for (const { where, expr } of (shipped.get(stack) ?? []).filter((e) =>
        e.where.startsWith("dashboards/"),
      )) {
        for (const line of expr.split("\n")) {
          assert.ok(line.length <= 100, `${where} has a line of ${line.length} characters`);
        }
      }
    });
  }

  it("lists no catalogue name that no rule or dashboard selects, besides the queries file's", () => {
    const used = new Set(
      [...shipped.values()].flat().flatMap(({ expr }) => parsePromql(expr).metrics),
    );
    for (const [source, spec] of Object.entries(METRIC_CATALOGUE)) {
      for (const metric of spec.metrics) {
        assert.ok(used.has(metric), `${source}'s ${metric} is selected by nothing`);
      }
    }
  });

  it("catalogues each name under one source only", () => {
    const seen = new Map<string, MetricSourceName>();
    for (const [source, spec] of Object.entries(METRIC_CATALOGUE) as [
      MetricSourceName,
      (typeof METRIC_CATALOGUE)[MetricSourceName],
    ][]) {
      for (const metric of [...spec.metrics, ...(spec.derived ?? [])]) {
        assert.equal(seen.get(metric), undefined, `${metric} is under ${seen.get(metric)} too`);
        seen.set(metric, source);
      }
    }
  });

  it("catalogues for the backend only what docs/backend-metrics.md promises", () => {
    const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "backend-metrics.md"), "utf8");
    for (const metric of METRIC_CATALOGUE.backend.metrics) {
      const documented = metric.replace(/_bucket$/, "");
      assert.match(doc, new RegExp(`^\\| \`${documented}\` \\|`, "m"), `${metric} undocumented`);
    }
  });

  it("reports a syntax error where there is one", () => {
    assert.notDeepEqual(parsePromql("sum(rate(up[5m])").errors, []);
    assert.deepEqual(parsePromql('{job="x"}').nameless, ['{job="x"}']);
    assert.deepEqual(parsePromql("rate(a[5m]) / on (x) b offset 1h").metrics, ["a", "b"]);
    const functions = parsePromql(
      "sum(rate(a[5m] offset 1h)) / increase(b[1h]) + delta(c[1h]) + d",
    );
    assert.deepEqual(functions.readAsCounter, ["a", "b"]);
    assert.deepEqual(functions.readAsGauge, ["c"]);
  });
});
