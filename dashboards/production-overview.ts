import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { THRESHOLDS } from "../components/monitoring/contract";
import { JOBS, ROOT_FILESYSTEM, sel, TLS_PROBES } from "../components/monitoring/selectors";
import {
  houseDashboard,
  redAbove,
  redBelow,
  row,
  statPanel,
  timeSeries,
  warnBelow,
} from "./panels";
import { selector } from "./selectors";

const node = sel({ job: JOBS.node });
const backend = sel({ job: JOBS.backend });
const containers = selector({ job: JOBS.containers }, 'name!=""');

/** Up or down of every scrape target and probe, and the host's CPU, memory and disk. */
function systemHealth(board: dashboard.DashboardBuilder): void {
  board
    .withRow(row("System health"))
    .withPanel(
      statPanel({
        title: "Scrape targets",
        description: "Whether Prometheus could scrape each job at its last attempt (TargetDown).",
        unit: "none",
        upDown: true,
        queries: [{ expr: "min by (job) (up)", legend: "{{job}}" }],
      }),
    )
    .withPanel(
      statPanel({
        title: "Health checks",
        description:
          "The runbook's health checks and the public HTTPS endpoint, as the blackbox exporter last probed them.",
        unit: "none",
        upDown: true,
        queries: [
          {
            expr: `min by (probe) (probe_success${sel({ job: JOBS.probes })})`,
            legend: "{{probe}}",
          },
          { expr: `min by (probe) (probe_success${sel({ job: JOBS.tls })})`, legend: "{{probe}}" },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: "Data stores and edge reachable",
        description:
          "Whether each exporter reached what it watches: PostgreSQL (PostgresDown), Redis (RedisDown) and nginx's stub_status.",
        unit: "none",
        upDown: true,
        queries: [
          { expr: `pg_up${sel({ job: JOBS.postgres })}`, legend: "postgres" },
          { expr: `redis_up${sel({ job: JOBS.redis })}`, legend: "redis" },
          { expr: `nginx_up${sel({ job: JOBS.nginx })}`, legend: "nginx" },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Host CPU busy",
        description:
          "Share of CPU time not idle on the Docker host, over 5 minutes (HostHighCpuUsage).",
        unit: "percent",
        thresholds: redAbove(THRESHOLDS.cpuPercent),
        queries: [
          {
            expr: `100 * (
  1 - avg by (instance) (rate(node_cpu_seconds_total${selector({ job: JOBS.node }, 'mode="idle"')}[5m]))
)`,
            legend: "{{instance}}",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Host memory in use",
        description: "Memory in use on the Docker host, from MemAvailable (HostHighMemoryUsage).",
        unit: "percent",
        thresholds: redAbove(THRESHOLDS.memoryPercent),
        queries: [
          {
            expr: `100 * (
  1 - node_memory_MemAvailable_bytes${node} / node_memory_MemTotal_bytes${node}
)`,
            legend: "{{instance}}",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Root disk free",
        description:
          "Free space on the host's root filesystem, where Docker keeps volumes and images (HostDiskSpaceLow).",
        unit: "percent",
        thresholds: redBelow(THRESHOLDS.diskFreePercent),
        queries: [
          {
            expr: `100 * node_filesystem_avail_bytes${ROOT_FILESYSTEM}
  / node_filesystem_size_bytes${ROOT_FILESYSTEM}`,
            legend: "{{instance}}",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Container CPU",
        description: "CPU each container uses, from cAdvisor; 100 % is one core.",
        unit: "percentunit",
        queries: [
          {
            expr: `sum by (name) (
  rate(container_cpu_usage_seconds_total${containers}[5m])
)`,
            legend: "{{name}}",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Container memory",
        description:
          "Working-set memory of each container, from cAdvisor: what the memory limit is checked against.",
        unit: "bytes",
        queries: [
          {
            expr: `sum by (name) (container_memory_working_set_bytes${containers})`,
            legend: "{{name}}",
          },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: "Days until the certificate expires",
        description:
          "Days left on the certificate nginx serves (CertificateExpiringSoon, CertificateExpiryCritical).",
        unit: "d",
        thresholds: warnBelow(
          THRESHOLDS.certificateCriticalDays,
          THRESHOLDS.certificateWarningDays,
        ),
        queries: [
          {
            expr: `(
  probe_ssl_earliest_cert_expiry${sel({ job: JOBS.tls, probe: TLS_PROBES.certificate })} - time()
) / 86400`,
            legend: "{{instance}}",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Monitoring failures",
        description:
          "Failed alert-rule evaluations in Prometheus and failed notifications in Alertmanager (AlertmanagerNotificationsFailing).",
        unit: "ops",
        queries: [
          {
            expr: `sum(rate(prometheus_rule_evaluation_failures_total${sel({ job: JOBS.prometheus })}[5m]))`,
            legend: "rule evaluations",
          },
          {
            expr: `sum by (integration) (
  rate(alertmanager_notifications_failed_total${sel({ job: JOBS.alertmanager })}[5m])
)`,
            legend: "{{integration}} notifications",
          },
        ],
      }),
    );
}

const requests = (status?: string) =>
  `sum(rate(http_requests_total${status ? selector({ job: JOBS.backend }, `status=~"${status}"`) : backend}[5m]))`;
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
        queries: [{ expr: `${requests("5..")}\n  / ${requests()}`, legend: "5xx" }],
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
            expr: `60 * sum(
  rate(auth_login_attempts_total${selector({ job: JOBS.backend }, 'outcome="failure"')}[5m])
)`,
            legend: "failed logins",
          },
        ],
      }),
    );
}

const payments = (outcome: string | undefined, window: string) =>
  `sum(rate(payment_attempts_total${outcome ? selector({ job: JOBS.backend }, `outcome="${outcome}"`) : backend}[${window}]))`;

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
            expr: `${payments("success", "5m")}\n  / ${payments(undefined, "5m")}`,
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
            expr: `${payments("failure", "1m")}\n  / ${payments(undefined, "1m")}`,
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
