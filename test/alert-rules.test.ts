import assert from "node:assert/strict";
import { seconds, widestRange } from "../components/monitoring/detection";
import { spokenDuration } from "../components/monitoring/duration";
import { ROLES } from "../components/postgres/access";
import { renderedStack } from "./support/rendered";
import { allRules, ruleNamed } from "./support/rendered-alert-rules";

const STACKS = ["dev", "prod"] as const;

describe("the rendered alert rules", () => {
  // A description that only repeats the summary says nothing the page did not: each one fills in
  // the alert's own labels, its value, or (for the Watchdog) Prometheus's external labels.
  const TEMPLATE = /\{\{[^}]*\$(labels\.\w+|value|externalLabels\.\w+)[^}]*\}\}/;

  it("says in every description the rule's own `for` and window, in words made from them", async () => {
    // "for over 2 minutes" is a `for`; "over 5 minutes" alone is the rate's range.
    const held = /\bfor (?:over )?(a second|a minute|an hour|\d+ (?:seconds|minutes|hours))\b/g;
    const over = /(?<!for )\bover (a second|a minute|an hour|\d+ (?:seconds|minutes|hours))\b/g;
    const wrong: string[] = [];
    let named = 0;
    for (const rule of allRules(await renderedStack("dev"))) {
      const text = rule.annotations.description;
      const expected = [
        [held, spokenDuration(seconds(rule.for ?? "0s"))],
        [over, spokenDuration(widestRange(rule.expr))],
      ] as const;
      for (const [pattern, words] of expected) {
        for (const [, said] of text.matchAll(pattern)) {
          named += 1;
          if (said !== words) {
            wrong.push(`${rule.alert} says ${said}, its rule ${words}`);
          }
        }
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(named >= 15, `only ${named} durations found: the patterns miss some`);
  });

  it("counts the backend pool's connections by the app role the stack creates", async () => {
    const pool = ruleNamed(await renderedStack("dev"), "DatabasePoolNearExhaustion");
    assert.match(pool.expr, new RegExp(`usename="${ROLES.app}"`));
  });

  for (const stack of STACKS) {
    it(`gives every alert of ${stack} a description templated from the alert`, async () => {
      const plain = allRules(await renderedStack(stack))
        .filter((rule) => !TEMPLATE.test(rule.annotations.description))
        .map((rule) => `${rule.alert}: ${rule.annotations.description}`);
      assert.deepEqual(plain, []);
    });
  }
});
