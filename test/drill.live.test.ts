import assert from "node:assert/strict";
import { RESPONSE_BUDGETS } from "../components/monitoring/contract";
import { worstCaseDetections } from "../components/monitoring/detection";
import { DRILL_ALERTS, MonitoringDrill } from "./support/monitoring-drill";
import { readRendered, renderedRuleFiles, renderedStack } from "./support/rendered";

// The live drill: the dev stack's rendered monitoring on loopback, with the real servers stopped
// one at a time. What is measured is the wall time from the stop until Alertmanager holds the
// alert as active; the route's group_wait then runs before the first notification, so the time to
// page is the two added, and that is what the runbook's budget bounds.
describe("live drill: each outage reaches Alertmanager within the runbook's response time", () => {
  let drill: MonitoringDrill | undefined;
  let rendered: string;

  before(async function () {
    this.timeout(180000);
    rendered = await renderedStack("dev");
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
});
