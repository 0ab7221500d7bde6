import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { THRESHOLDS } from "../components/monitoring/contract";
import { JOBS, ROOT_FILESYSTEM, sel, TLS_PROBES } from "../components/monitoring/selectors";
import { redAbove, redBelow, row, statPanel, timeSeries, warnBelow } from "./panels";
import { selector } from "./selectors";

const node = sel({ job: JOBS.node });
const containers = selector({ job: JOBS.containers }, 'name!=""');

/** Up or down of every scrape target and probe, and the host's CPU, memory and disk. */
export function systemHealth(board: dashboard.DashboardBuilder): void {
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
