import assert from "node:assert/strict";
import { RESPONSE_BUDGETS } from "../components/monitoring/contract";
import { Detection, seconds, worstCaseDetections } from "../components/monitoring/detection";
import { unitTestFile } from "./support/promtool-unit-tests";
import { readRendered, renderedRuleFiles, renderedStack } from "./support/rendered";
import { allRules } from "./support/rendered-alert-rules";

const STACKS = ["dev", "prod"] as const;

// The promtool case that stages each budgeted outage, and the second its outage starts there.
const OUTAGE_CASES: Record<string, { area: string; group: string; onset: number }> = {
  PaymentFailuresHigh: {
    area: "payments",
    group: "half of the attempts failing from 2m page 15 s later, the budget's outage",
    onset: 120,
  },
  BackendDown: {
    area: "availability",
    group: "a backend health probe failing for 20 seconds pages, one failing for 10 does not",
    onset: 0,
  },
  RedisDown: {
    area: "availability",
    group: "Redis unreachable for 20 seconds pages RedisDown",
    onset: 0,
  },
  PostgresDown: {
    area: "availability",
    group: "the exporter reaching no database for a minute pages PostgresDown",
    onset: 0,
  },
};

describe("worst-case time to page, from the rendered files", () => {
  // By hand from the rendered files: the feeding job's scrape interval and timeout, the share of
  // a rate's range the outage must fill, the group's evaluation interval, the rule's `for` and
  // the route's group_wait.
  const BREAKDOWN: Record<string, Omit<Detection, "alert">> = {
    // backend job 5 s + 5 s; a fifth (10 % of a 50 % outage) of the 1m range; payments group
    // every 5 s; no `for`; page-payments waits 0 s.
    PaymentFailuresHigh: {
      scrapeInterval: 5,
      scrapeTimeout: 5,
      evaluation: 5,
      window: 12,
      hold: 0,
      groupWait: 0,
      total: 27,
    },
    // probe-backend-health 10 s + 6 s; availability every 10 s; for 20 s; page-critical 10 s.
    BackendDown: {
      scrapeInterval: 10,
      scrapeTimeout: 6,
      evaluation: 10,
      window: 0,
      hold: 20,
      groupWait: 10,
      total: 56,
    },
    // redis job 10 s + 5 s; availability every 10 s; for 20 s; page-critical 10 s.
    RedisDown: {
      scrapeInterval: 10,
      scrapeTimeout: 5,
      evaluation: 10,
      window: 0,
      hold: 20,
      groupWait: 10,
      total: 55,
    },
    // postgres job 15 s + the global 10 s; availability every 10 s; for 1m; page-critical 10 s.
    PostgresDown: {
      scrapeInterval: 15,
      scrapeTimeout: 10,
      evaluation: 10,
      window: 0,
      hold: 60,
      groupWait: 10,
      total: 105,
    },
  };

  for (const stack of STACKS) {
    describe(stack, () => {
      let detections: Detection[] = [];
      let out = "";

      before(async () => {
        out = await renderedStack(stack);
        detections = worstCaseDetections({
          prometheus: readRendered(out, "monitoring/prometheus.yml"),
          rules: [...renderedRuleFiles(out).values()],
          alertmanager: readRendered(out, "monitoring/alertmanager.yml"),
        });
      });

      it("has one detection per alert of the rules", () => {
        const alerts = allRules(out).map((rule) => rule.alert);
        assert.deepEqual(detections.map((d) => d.alert).sort(), alerts.sort());
      });

      for (const [alert, budget] of Object.entries(RESPONSE_BUDGETS)) {
        it(`pages ${alert} within its budget of ${budget} s`, () => {
          const detection = detections.find((d) => d.alert === alert);
          assert.ok(detection, `${alert} has no detection`);
          assert.ok(detection.total <= budget, `${alert}: ${detection.total} s > ${budget} s`);
        });
      }

      it("adds up the four budgeted alerts as computed by hand", () => {
        const budgeted = Object.keys(RESPONSE_BUDGETS).sort();
        assert.deepEqual(budgeted, Object.keys(BREAKDOWN).sort());
        for (const alert of budgeted) {
          const detection = detections.find((d) => d.alert === alert);
          assert.deepEqual(detection, { alert, ...BREAKDOWN[alert] });
        }
      });

      it("counts the whole range of a rate without a stated outage, and none for instant values", () => {
        const windows = Object.fromEntries(detections.map((d) => [d.alert, d.window]));
        assert.equal(windows.ApiErrorRateHigh, 300);
        assert.equal(windows.Nginx5xxBurst, 60);
        assert.equal(windows.HostDiskSpaceLow, 0);
      });
    });
  }

  it("bounds each budgeted outage's promtool case: it fires no later than the model says", async () => {
    // promtool has no scrape timeout and no Alertmanager: the model without those two must still
    // be at least the seconds from the outage's start to the first evaluation that fires.
    const out = await renderedStack("dev");
    const detections = worstCaseDetections({
      prometheus: readRendered(out, "monitoring/prometheus.yml"),
      rules: [...renderedRuleFiles(out).values()],
      alertmanager: readRendered(out, "monitoring/alertmanager.yml"),
    });
    assert.deepEqual(Object.keys(OUTAGE_CASES).sort(), Object.keys(RESPONSE_BUDGETS).sort());
    const found: Record<string, [number, number]> = {};
    for (const [alert, { area, group, onset }] of Object.entries(OUTAGE_CASES)) {
      const detection = detections.find((d) => d.alert === alert);
      const tests = unitTestFile(area).tests.find((t) => t.name === group);
      assert.ok(detection && tests, `${alert}: no detection or no test group "${group}"`);
      const cases = (tests.alert_rule_test ?? []).filter((c) => c.alertname === alert);
      const firing = Math.min(
        ...cases.filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => seconds(c.eval_time)),
      );
      const before = cases.find((c) => seconds(c.eval_time) === firing - detection.evaluation);
      assert.deepEqual(before?.exp_alerts, [], `${alert} is not shown silent one step before`);
      const bound =
        detection.scrapeInterval + detection.window + detection.evaluation + detection.hold;
      found[alert] = [firing - onset, bound];
    }
    const late = Object.entries(found).filter(([, [fires, bound]]) => fires > bound);
    assert.deepEqual(late, [], "cases that fire later than the model allows");
    assert.deepEqual(found, {
      PaymentFailuresHigh: [15, 22],
      BackendDown: [20, 40],
      RedisDown: [20, 40],
      PostgresDown: [60, 85],
    });
  });
});
