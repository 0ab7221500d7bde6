import { MONITORING_IMAGES, MTAIL_IMAGE } from "./images";
import { postgresQueryMetricNames } from "./postgres-queries";

/**
 * Where a metric name comes from. Every name an alert rule or a dashboard selects is listed under
 * the source that serves it, so that a renamed or missing metric fails a test instead of leaving
 * a rule that can never fire or a panel that stays empty. The stack has no recording rules.
 */
export type MetricSourceName =
  | "scrape"
  | "prometheus"
  | "alertmanager"
  | "node"
  | "cadvisor"
  | "postgres"
  | "redis"
  | "nginx"
  | "mtail"
  | "blackbox"
  | "backend"
  | "backup";

export interface MetricSource {
  /** What serves the names, at the version the stack deploys. */
  providedBy: string;
  /** How the test suite confirms the names against real software, or why it cannot. */
  checkedBy: string;
  metrics: readonly string[];
  /**
   * Names the deployed release serves and Debian's older build, which the live drill runs, does
   * not; each with the release that brought it. The drill skips these and says so.
   */
  newerOnly?: Readonly<Record<string, string>>;
  /** Names derived from the stack's own files (the queries file), exempt from the usage check. */
  derived?: readonly string[];
}

/**
 * The drill checks these names against Debian's postgres_exporter 0.11, redis_exporter 1.45 and
 * nginx exporter 0.11, so nothing here proves that the deployed postgres_exporter 0.15,
 * redis_exporter 1.62 and nginx exporter 1.3 serve them with the same labels and types, or that
 * postgres_exporter 0.15 still runs the queries file (deprecated since 0.13) beside its own
 * collectors without a clash. Their changelogs and collector sources, read by hand, rename or drop
 * none of the names below.
 */
export const METRIC_CATALOGUE: Record<MetricSourceName, MetricSource> = {
  scrape: {
    providedBy: "Prometheus itself, one series per scrape target",
    checkedBy: "queried from the drill's Prometheus 2.42",
    metrics: ["up"],
  },
  prometheus: {
    providedBy: MONITORING_IMAGES.prometheus,
    checkedBy: "the drill's Prometheus 2.42 /metrics",
    metrics: ["prometheus_rule_evaluation_failures_total"],
  },
  alertmanager: {
    providedBy: MONITORING_IMAGES.alertmanager,
    checkedBy: "the drill's Alertmanager 0.25 /metrics",
    metrics: ["alertmanager_notifications_failed_total"],
  },
  node: {
    providedBy: MONITORING_IMAGES.nodeExporter,
    checkedBy: "the drill's node_exporter 1.5 /metrics",
    metrics: [
      "node_cpu_seconds_total",
      "node_memory_MemAvailable_bytes",
      "node_memory_MemTotal_bytes",
      "node_filesystem_avail_bytes",
      "node_filesystem_size_bytes",
    ],
  },
  cadvisor: {
    providedBy: MONITORING_IMAGES.cadvisor,
    checkedBy: "nothing live: cAdvisor is not packaged in Debian and needs a Docker engine",
    metrics: ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes"],
  },
  postgres: {
    providedBy: `${MONITORING_IMAGES.postgresExporter} with the stack's queries file`,
    checkedBy: "the drill's postgres_exporter 0.11 /metrics, with the rendered queries file",
    metrics: [
      "pg_up",
      "pg_stat_activity_count",
      "pg_settings_max_connections",
      "pg_stat_database_xact_commit",
      "pg_stat_database_xact_rollback",
      "pg_stat_database_blks_hit",
      "pg_stat_database_blks_read",
      "pg_locks_count",
    ],
    derived: postgresQueryMetricNames(),
  },
  redis: {
    providedBy: MONITORING_IMAGES.redisExporter,
    checkedBy: "the drill's redis_exporter 1.45 /metrics",
    metrics: [
      "redis_up",
      "redis_memory_used_bytes",
      "redis_memory_max_bytes",
      "redis_keyspace_hits_total",
      "redis_keyspace_misses_total",
      "redis_evicted_keys_total",
      "redis_slowlog_length",
      "redis_slowlog_last_id",
      "redis_commands_processed_total",
      "redis_connected_clients",
    ],
  },
  nginx: {
    providedBy: MONITORING_IMAGES.nginxExporter,
    checkedBy: "the drill's nginx exporter 0.11 /metrics, reading a real nginx 1.22 stub_status",
    metrics: [
      "nginx_up",
      "nginx_connections_active",
      "nginx_connections_reading",
      "nginx_connections_writing",
      "nginx_connections_waiting",
      "nginx_http_requests_total",
    ],
  },
  mtail: {
    providedBy: `${MTAIL_IMAGE} with the stack's nginx.mtail`,
    checkedBy: "mtail 3.0.0~rc50 reading an access-log line with the rendered program",
    metrics: ["nginx_http_responses_total"],
  },
  blackbox: {
    providedBy: MONITORING_IMAGES.blackboxExporter,
    checkedBy: "the drill's blackbox_exporter 0.23 /probe, over HTTP and over TLS",
    metrics: ["probe_success", "probe_ssl_earliest_cert_expiry"],
  },
  backend: {
    providedBy: "the backend API's /metrics",
    checkedBy: "docs/backend-metrics.md, the contract the backend serves",
    metrics: [
      "payment_attempts_total",
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "auth_login_attempts_total",
      "active_users",
      "customer_churn_rate",
    ],
  },
  backup: {
    providedBy:
      "the backup jobs' files (images/postgres-backup/bin), served by node-exporter's textfile collector",
    checkedBy:
      "Debian's node-exporter 1.5 reading the files the real jobs wrote, in the backup tests",
    metrics: [
      "pgbackrest_backup_last_success_timestamp_seconds",
      "pgbackrest_backup_last_duration_seconds",
      "pgbackrest_backup_last_size_bytes",
      "pgbackrest_backup_last_run_success",
      "backup_manifest_last_run_success",
      "redis_snapshot_last_run_success",
      "redis_snapshot_last_success_timestamp_seconds",
      "system_backup_last_run_success",
      "system_backup_last_success_timestamp_seconds",
      "backup_dr_test_last_run_success",
    ],
  },
};

/** Every name of a source: listed and derived. */
export function sourceMetrics(source: MetricSource): string[] {
  return [...source.metrics, ...(source.derived ?? [])];
}

/** The source of each catalogued name. */
export function catalogueIndex(): Map<string, MetricSourceName> {
  const index = new Map<string, MetricSourceName>();
  for (const [name, source] of Object.entries(METRIC_CATALOGUE) as [
    MetricSourceName,
    MetricSource,
  ][]) {
    for (const metric of sourceMetrics(source)) {
      index.set(metric, name);
    }
  }
  return index;
}
