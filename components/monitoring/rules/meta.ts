import { INTERVALS } from "../contract";
import { METRIC_CATALOGUE } from "../metric-catalogue";
import { JOBS, sel } from "../selectors";
import { heldAlert, RuleArea } from "./model";

const backend = sel({ job: JOBS.backend });

/** One series per metric the rules read from the backend that its /metrics lacks. */
const missingBackendMetrics = METRIC_CATALOGUE.backend.metrics
  .map((metric) => `  label_replace(absent(${metric}${backend}), "metric", "${metric}", "", "")`)
  .join("\n  or\n");

/**
 * The monitoring itself: a target that cannot be scraped, a backend that stopped serving the
 * metrics the rules read, failing notifications, the watchdog.
 */
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
    // A renamed or dropped metric leaves its alert unable to fire, silently; a backend that
    // cannot be scraped at all is TargetDown's. An hour, because a labelled series only appears
    // with the first request after a restart, and a quiet night can take a while to bring one.
    heldAlert({
      alert: "BackendMetricsMissing",
      expr: `(
${missingBackendMetrics}
)
and on ()
up${backend} == 1`,
      for: 3600,
      severity: "warning",
      team: "platform",
      summary: "The backend's /metrics lacks {{ $labels.metric }}",
      describe: (held) =>
        `The backend answers its scrapes but has served no {{ $labels.metric }} for ${held}: the alerts that read it cannot fire (see docs/backend-metrics.md).`,
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
