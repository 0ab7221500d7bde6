import { INTERVALS } from "../contract";
import { JOBS, sel } from "../selectors";
import { heldAlert, RuleArea } from "./model";

/** The monitoring itself: a target that cannot be scraped, failing notifications, the watchdog. */
export const metaRules: RuleArea = {
  name: "meta",
  interval: INTERVALS.default,
  rules: [
    heldAlert({
      alert: "TargetDown",
      expr: "up == 0",
      for: 120,
      severity: "warning",
      team: "platform",
      summary: "Prometheus cannot scrape {{ $labels.job }}",
      describe: (held) =>
        `{{ $labels.instance }} of job {{ $labels.job }} has not answered a scrape for ${held}.`,
    }),
    heldAlert({
      alert: "AlertmanagerNotificationsFailing",
      expr: `sum by (integration) (
  rate(alertmanager_notifications_failed_total${sel({ job: JOBS.alertmanager })}[5m])
) > 0`,
      for: 300,
      severity: "critical",
      team: "platform",
      summary: "Alertmanager cannot deliver to {{ $labels.integration }}",
      describe: (held) =>
        `Notifications to {{ $labels.integration }} have failed for ${held}: pages may be lost.`,
    }),
    {
      alert: "Watchdog",
      expr: "vector(1)",
      for: 0,
      severity: "info",
      team: "platform",
      summary: "Always firing: proves the alerting pipeline works end to end",
      // $externalLabels are Prometheus's; promtool 2.42 has none and leaves the name out.
      description:
        "Heartbeat of the {{ $externalLabels.environment }} stack's alerting: Prometheus evaluates its rules and reaches Alertmanager. When the heartbeat check stops receiving it, the check pages.",
    },
  ],
};
