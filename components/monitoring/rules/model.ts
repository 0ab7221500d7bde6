import { spokenDuration } from "../duration";
import { Severity, Team } from "../contract";

/** One alerting rule, before rendering. */
export interface AlertRule {
  /** CamelCase name; also the title of its section in docs/runbook.md. */
  alert: string;
  /** PromQL, written over several lines where it has parts. */
  expr: string;
  /** Seconds the condition must hold before the alert fires. */
  for: number;
  severity: Severity;
  team: Team;
  summary: string;
  /** Go template; may use $labels and $value. */
  description: string;
}

/** One rule file: an area of the runbook, evaluated at its own interval. */
export interface RuleArea {
  /** File name without extension, also the group name. */
  name: string;
  /** Seconds between evaluations. */
  interval: number;
  rules: AlertRule[];
}

/**
 * An alert whose description says how long the condition held, in words made from its own `for`
 * (`describe` gets them), so that the two cannot drift apart.
 */
export function heldAlert(
  rule: Omit<AlertRule, "description"> & { describe: (held: string) => string },
): AlertRule {
  const { describe, ...alert } = rule;
  return { ...alert, description: describe(spokenDuration(rule.for)) };
}
