import { stringify } from "yaml";
import { duration } from "../duration";
import { apiRules } from "./api";
import { availabilityRules } from "./availability";
import { backupRules } from "./backups";
import { businessRules } from "./business";
import { databaseRules } from "./database";
import { metaRules } from "./meta";
import { AlertRule, RuleArea } from "./model";
import { paymentRules } from "./payments";
import { securityRules } from "./security";
import { systemRules } from "./system";
import { tlsRules } from "./tls";

export { AlertRule, RuleArea };

/** Every rule area of the stack; the pool size comes from the backend's DB_POOL_MAX. */
export function ruleAreas(poolMax: number): RuleArea[] {
  return [
    availabilityRules,
    paymentRules,
    apiRules,
    databaseRules(poolMax),
    systemRules,
    tlsRules,
    securityRules,
    businessRules,
    backupRules,
    metaRules,
  ];
}

/** The anchor GitHub gives a `### Name` heading of docs/runbook.md. */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

/** A standard Prometheus rule file for one area. */
export function renderRuleFile(area: RuleArea, runbookUrl: string): string {
  const rules = area.rules.map((rule) => ({
    alert: rule.alert,
    expr: rule.expr,
    ...(rule.for > 0 ? { for: duration(rule.for) } : {}),
    labels: { severity: rule.severity, team: rule.team },
    annotations: {
      summary: rule.summary,
      description: rule.description,
      runbook_url: `${runbookUrl}#${runbookAnchor(rule.alert)}`,
    },
  }));
  const file = { groups: [{ name: area.name, interval: duration(area.interval), rules }] };
  return [
    "# Rendered by the waste-management stack from components/monitoring/rules; edit those files.",
    stringify(file, { lineWidth: 0 }),
  ].join("\n");
}
