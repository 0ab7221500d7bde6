import assert from "node:assert/strict";
import { parse } from "yaml";
import { renderedRuleFiles } from "./rendered";

/** One alert rule as a rendered rule file holds it. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A rendered rule file: one group per area. */
export interface RuleFile {
  groups: { name: string; interval: string; rules: AlertRule[] }[];
}

/** The alert rules of a rendered stack, by area. */
export function rulesByArea(out: string): Map<string, RuleFile> {
  const files = renderedRuleFiles(out);
  return new Map([...files].map(([area, text]) => [area, parse(text) as RuleFile]));
}

export function allRules(out: string): AlertRule[] {
  return [...rulesByArea(out).values()].flatMap((file) => file.groups.flatMap((g) => g.rules));
}

export function ruleNamed(out: string, alert: string): AlertRule {
  const rule = allRules(out).find((r) => r.alert === alert);
  assert.ok(rule, `no rendered rule ${alert}`);
  return rule;
}
