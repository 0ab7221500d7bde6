import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { seconds } from "../components/monitoring/detection";
import { requireBinary, run, tempDir } from "./support/processes";
import {
  AlertCase,
  alertCases,
  AREAS,
  UNIT_TESTS,
  unitTestFile,
} from "./support/promtool-unit-tests";
import { renderedRuleFiles, renderedStack } from "./support/rendered";
import { allRules, rulesByArea } from "./support/rendered-alert-rules";

// Debian's promtool 2.42 runs the unit tests; production runs the newer Prometheus of
// components/monitoring/images.ts.
const PROMTOOL = "/usr/bin/promtool";

// The unit tests in test/promtool are written against the dev stack, whose DB_POOL_MAX is 20.
describe("promtool unit tests of the rendered alert rules (dev)", () => {
  let out: string;
  const dirs: string[] = [];

  before(async () => {
    requireBinary(PROMTOOL, "prometheus");
    out = await renderedStack("dev");
  });
  after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it("has one unit-test file for every rule area and no other", () => {
    assert.deepEqual(AREAS, [...renderedRuleFiles(out).keys()]);
  });

  for (const area of AREAS) {
    it(`passes test/promtool/${area}.test.yml against rules/${area}.yml`, async () => {
      const dir = tempDir(`promtool-${area}`);
      dirs.push(dir);
      fs.copyFileSync(
        path.join(UNIT_TESTS, `${area}.test.yml`),
        path.join(dir, `${area}.test.yml`),
      );
      fs.writeFileSync(path.join(dir, `${area}.yml`), renderedRuleFiles(out).get(area) ?? "");
      const result = await run(PROMTOOL, ["test", "rules", path.join(dir, `${area}.test.yml`)]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /SUCCESS/);
    });
  }

  it("evaluates each file at its group's interval and gives every test group an interval", () => {
    // promtool 2.42 evaluates every minute unless told, and loads no series without `interval`.
    for (const area of AREAS) {
      const tests = unitTestFile(area);
      const group = rulesByArea(out).get(area)?.groups[0];
      assert.deepEqual(tests.rule_files, [`${area}.yml`]);
      assert.equal(tests.evaluation_interval, group?.interval, `${area}.test.yml`);
      for (const test of tests.tests) {
        assert.ok(test.interval, `${area}: "${test.name}" sets no interval`);
      }
    }
  });

  it("shows every alert silent one evaluation before it fires, in the same test group", () => {
    // promtool compares exp_labels with the alert's whole label set, so a passing case that names
    // the rule's own labels lists every label; the check here makes sure there is such a case.
    const missing: string[] = [];
    for (const area of AREAS) {
      const file = rulesByArea(out).get(area)?.groups[0];
      const step = seconds(file?.interval ?? "0s");
      for (const rule of file?.rules ?? []) {
        const labelled = (c: AlertCase) =>
          (c.exp_alerts ?? []).length > 0 &&
          (c.exp_alerts ?? []).every((expected) =>
            Object.entries({ alertname: rule.alert, ...rule.labels }).every(
              ([key, value]) => expected.exp_labels?.[key] === value,
            ),
          );
        const pairs = unitTestFile(area).tests.filter((group) => {
          const own = (group.alert_rule_test ?? []).filter((c) => c.alertname === rule.alert);
          return own.some(
            (firing) =>
              labelled(firing) &&
              own.some(
                (silent) =>
                  (silent.exp_alerts ?? []).length === 0 &&
                  seconds(silent.eval_time) === seconds(firing.eval_time) - step,
              ),
          );
        });
        // Watchdog's expression is vector(1): there is no state in which it is silent.
        if (rule.expr === "vector(1)") {
          const fires = alertCases(area).some((c) => c.alertname === rule.alert && labelled(c));
          if (!fires) {
            missing.push(`${rule.alert} is never shown firing with its labels`);
          }
        } else if (pairs.length === 0) {
          missing.push(`${area}: ${rule.alert} has no silent case ${step} s before a firing one`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it("tests only alerts that exist in the rules, naming them in exp_labels too", () => {
    // promtool 2.42 replaces an alertname in exp_labels with the case's, so a wrong one passes.
    const known = new Set(allRules(out).map((rule) => rule.alert));
    for (const area of AREAS) {
      for (const c of alertCases(area)) {
        assert.ok(known.has(c.alertname), `${area}.test.yml tests unknown alert ${c.alertname}`);
        for (const expected of c.exp_alerts ?? []) {
          assert.equal(expected.exp_labels?.alertname, c.alertname, `${area}.test.yml`);
        }
      }
    }
  });
});
