import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { requireBinary, run, tempDir } from "./support/processes";
import { readRendered, renderedRuleFiles, renderedStack } from "./support/rendered";
import { rulesByArea } from "./support/rendered-alert-rules";

// The rendered Prometheus configuration and rule files checked by Debian's promtool 2.42
// (production runs the newer Prometheus of components/monitoring/images.ts). Files are used as
// rendered; only the rule files' path is adapted to the test machine.
const PROMTOOL = "/usr/bin/promtool";
const STACKS = ["dev", "prod"] as const;

/** A copy of the rendered prometheus.yml whose rule_files glob finds a copy of the rules. */
function prometheusWithLocalRules(out: string, dir: string): string {
  const rules = path.join(dir, "rules");
  fs.cpSync(path.join(out, "monitoring", "rules"), rules, { recursive: true });
  const text = readRendered(out, "monitoring/prometheus.yml");
  const glob = "/etc/prometheus/rules/*.yml";
  assert.equal(text.split(glob).length, 2, `prometheus.yml should name ${glob} once`);
  const file = path.join(dir, "prometheus.yml");
  fs.writeFileSync(file, text.replace(glob, path.join(rules, "*.yml")));
  return file;
}

describe("promtool 2.42 on the rendered Prometheus configuration", () => {
  const dirs: string[] = [];

  before(() => requireBinary(PROMTOOL, "prometheus"));
  after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  for (const stack of STACKS) {
    it(`accepts ${stack}'s prometheus.yml together with the 10 rule files it loads`, async () => {
      const out = await renderedStack(stack);
      const dir = tempDir(`promtool-config-${stack}`);
      dirs.push(dir);
      const result = await run(PROMTOOL, ["check", "config", prometheusWithLocalRules(out, dir)]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /SUCCESS: 10 rule files found/);
      for (const [area, file] of rulesByArea(out)) {
        const count = file.groups[0].rules.length;
        const checked = new RegExp(`rules/${area}\\.yml\\n\\s+SUCCESS: ${count} rules found`);
        assert.match(result.stdout, checked, `${area}.yml was not checked`);
      }
    });

    it(`accepts every rule file of ${stack} on its own`, async () => {
      const out = await renderedStack(stack);
      const files = [...renderedRuleFiles(out).keys()].map((area) =>
        path.join(out, "monitoring", "rules", `${area}.yml`),
      );
      assert.equal(files.length, 10);
      const result = await run(PROMTOOL, ["check", "rules", ...files]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(result.stdout.match(/SUCCESS: \d+ rules found/g)?.length, 10, result.stdout);
    });
  }
});
