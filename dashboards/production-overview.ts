import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { THRESHOLDS } from "../components/monitoring/contract";
import { JOBS, sel } from "../components/monitoring/selectors";
import { houseDashboard, redAbove, row, timeSeries } from "./panels";
import { systemHealth } from "./system-health";
import { orZero } from "./promql";
import { selector } from "./selectors";

const backend = sel({ job: JOBS.backend });

const requests = (status?: string) => {
  const matchers = status ? selector({ job: JOBS.backend }, `status=~"${status}"`) : backend;
  return `sum(rate(http_requests_total${matchers}[5m]))`;
};
const latency = (quantile: number) => ({
  expr: `histogram_quantile(
  ${quantile},
  sum by (le) (rate(http_request_duration_seconds_bucket${backend}[5m]))
)`,
  legend: `p${Math.round(quantile * 100)}`,
});

/** The API's traffic, errors and latency, from the backend's own metrics. */
function apiPerformance(board: dashboard.DashboardBuilder): void {
  board
    .withRow(row("API performance"))
    .withPanel(
      timeSeries({
        title: "API requests per second",
        description: "Requests the backend answered, by status code, over 5 minutes.",
        unit: "reqps",
        queries: [
          {
            expr: `sum by (status) (rate(http_requests_total${backend}[5m]))`,
            legend: "{{status}}",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "API error ratio",
        description: "Share of API requests answered 5xx, over 5 minutes (ApiErrorRateHigh).",
        unit: "percentunit",
        thresholds: redAbove(THRESHOLDS.apiErrorRatio),
        queries: [
          { expr: `${orZero(requests("5.."), requests())}\n  / ${requests()}`, legend: "5xx" },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "API latency",
        description:
          "p50, p95 and p99 of the API's response time over 5 minutes (ApiLatencyHigh on p95).",
        unit: "s",
        thresholds: redAbove(THRESHOLDS.apiP95Seconds),
        queries: [latency(0.5), latency(0.95), latency(0.99)],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Failed logins",
        description:
          "Failed login attempts a minute across the API, over 5 minutes (AuthFailuresSpike).",
        unit: "cpm",
        thresholds: redAbove(THRESHOLDS.authFailuresPerMinute),
        queries: [
          {
            expr: `60 * ${orZero(
              `sum(rate(auth_login_attempts_total${selector({ job: JOBS.backend }, 'outcome="failure"')}[5m]))`,
              `sum(rate(auth_login_attempts_total${backend}[5m]))`,
            )}`,
            legend: "failed logins",
          },
        ],
      }),
    );
}

const payments = (outcome: string | undefined, window: string) => {
  const matchers = outcome ? selector({ job: JOBS.backend }, `outcome="${outcome}"`) : backend;
  return `sum(rate(payment_attempts_total${matchers}[${window}]))`;
};

/** Customers and money: activity, payments and churn. */
function businessMetrics(board: dashboard.DashboardBuilder): void {
  board
    .withRow(row("Business"))
    .withPanel(
      timeSeries({
        title: "Active users",
        description:
          "Users with an authenticated request in the last 15 minutes, against an hour before (ActiveUsersDropped).",
        unit: "short",
        queries: [
          { expr: `sum(active_users${backend})`, legend: "now" },
          { expr: `sum(active_users${backend} offset 1h)`, legend: "an hour before" },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Payment success rate",
        description:
          "Share of payment attempts the provider confirmed, over 5 minutes; declined cards count against it.",
        unit: "percentunit",
        queries: [
          {
            expr: `${orZero(payments("success", "5m"), payments(undefined, "5m"))}
  / ${payments(undefined, "5m")}`,
            legend: "success",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Payment failure ratio",
        description:
          "Share of payment attempts that failed (provider or our error, not declines) over 1 minute, as PaymentFailuresHigh reads it.",
        unit: "percentunit",
        thresholds: redAbove(THRESHOLDS.paymentFailureRatio),
        queries: [
          {
            expr: `${orZero(payments("failure", "1m"), payments(undefined, "1m"))}
  / ${payments(undefined, "1m")}`,
            legend: "failure",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Churn rate",
        description:
          "Share of customers active 30 days ago who have cancelled since, against a week before (ChurnRateRising).",
        unit: "percentunit",
        width: 24,
        queries: [
          { expr: `max(customer_churn_rate${backend})`, legend: "now" },
          { expr: `max(customer_churn_rate${backend} offset 1w)`, legend: "a week before" },
        ],
      }),
    );
}

/** The runbook's first look: is everything up, is the API healthy, are customers paying. */
export function productionOverview(): dashboard.Dashboard {
  const board = houseDashboard({
    uid: "production-overview",
    title: "Production overview",
    description:
      "System health, API performance and business metrics of the waste-management platform.",
    refresh: "30s",
  });
  systemHealth(board);
  apiPerformance(board);
  businessMetrics(board);
  return board.build();
}
