import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { THRESHOLDS } from "../components/monitoring/contract";
import { JOBS, sel } from "../components/monitoring/selectors";
import { houseDashboard, redAbove, row, timeSeries } from "./panels";
import { orZero } from "./promql";
import { selector } from "./selectors";

const redis = sel({ job: JOBS.redis });
const nginx = sel({ job: JOBS.nginx });

/** Redis: memory against maxmemory, hit ratio, evictions and the slow log. */
function redisPanels(board: dashboard.DashboardBuilder): void {
  board
    .withRow(row("Redis"))
    .withPanel(
      timeSeries({
        title: "Redis memory",
        description:
          "Memory Redis uses for data, against maxmemory, where the eviction policy starts.",
        unit: "bytes",
        queries: [
          { expr: `redis_memory_used_bytes${redis}`, legend: "used" },
          { expr: `redis_memory_max_bytes${redis}`, legend: "maxmemory" },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Redis hit ratio",
        description: "Share of key lookups that found their key, over 5 minutes.",
        unit: "percentunit",
        queries: [
          {
            expr: `rate(redis_keyspace_hits_total${redis}[5m])
  / (
    rate(redis_keyspace_hits_total${redis}[5m])
    + rate(redis_keyspace_misses_total${redis}[5m])
  )`,
            legend: "hit ratio",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Redis evictions",
        description: "Keys evicted a second to stay under maxmemory, over 5 minutes.",
        unit: "ops",
        queries: [{ expr: `rate(redis_evicted_keys_total${redis}[5m])`, legend: "evicted" }],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Redis slow log",
        description:
          "Commands in Redis's slow log, and entries added in the last hour, read from the newest entry's id; SLOWLOG GET shows them (rmon in the runbook).",
        unit: "short",
        queries: [
          { expr: `redis_slowlog_length${redis}`, legend: "entries" },
          // redis_exporter serves the newest entry's id as a gauge, and 0 while the log is empty.
          // After a restart ids begin again at 0, so the first new entry is not seen and the
          // difference is negative until the hour has passed: clamped to 0 there.
          {
            expr: `clamp_min(delta(redis_slowlog_last_id${redis}[1h]), 0)`,
            legend: "new in the last hour",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Redis commands per second",
        description: "Commands Redis processed, over 5 minutes.",
        unit: "ops",
        queries: [{ expr: `rate(redis_commands_processed_total${redis}[5m])`, legend: "commands" }],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Redis clients",
        description: "Client connections open to Redis: the backend's pool and the exporter.",
        unit: "short",
        queries: [{ expr: `redis_connected_clients${redis}`, legend: "clients" }],
      }),
    );
}

const nginxLog = sel({ job: JOBS.nginxLog });

/** Answers a second with a status matching `status`; 0 when there are answers but none such. */
const responses = (status: string, window: string) =>
  orZero(
    `sum(rate(nginx_http_responses_total${selector({ job: JOBS.nginxLog }, `status=~"${status}"`)}[${window}]))`,
    `sum(rate(nginx_http_responses_total${nginxLog}[${window}]))`,
  );

/** nginx: connections and requests from stub_status, answers by status from its access log. */
function nginxPanels(board: dashboard.DashboardBuilder): void {
  board
    .withRow(row("nginx"))
    .withPanel(
      timeSeries({
        title: "nginx connections",
        description: "Client connections by state, from stub_status.",
        unit: "short",
        queries: (["active", "reading", "writing", "waiting"] as const).map((state) => ({
          expr: `nginx_connections_${state}${nginx}`,
          legend: state,
        })),
      }),
    )
    .withPanel(
      timeSeries({
        title: "nginx requests per second",
        description: "Requests nginx handled, from stub_status, over 5 minutes.",
        unit: "reqps",
        queries: [{ expr: `rate(nginx_http_requests_total${nginx}[5m])`, legend: "requests" }],
      }),
    )
    .withPanel(
      timeSeries({
        title: "nginx answers by status",
        description: "Answers a second by status code, from nginx's access log through mtail.",
        unit: "reqps",
        queries: [
          {
            expr: `sum by (status) (
  rate(nginx_http_responses_total${nginxLog}[5m])
)`,
            legend: "{{status}}",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "nginx 4xx per second",
        description: "Client errors a second over 1 minute, as Nginx4xxBurst reads them.",
        unit: "reqps",
        width: 12,
        thresholds: redAbove(THRESHOLDS.nginx4xxPerSecond),
        queries: [{ expr: responses("4..", "1m"), legend: "4xx" }],
      }),
    )
    .withPanel(
      timeSeries({
        title: "nginx 5xx per second",
        description: "Server errors a second over 1 minute, as Nginx5xxBurst reads them.",
        unit: "reqps",
        width: 12,
        thresholds: redAbove(THRESHOLDS.nginx5xxPerSecond),
        queries: [{ expr: responses("5..", "1m"), legend: "5xx" }],
      }),
    );
}

/** The services in front of and beside the backend: Redis and nginx. */
export function servicesDashboard(): dashboard.Dashboard {
  const board = houseDashboard({
    uid: "services",
    title: "Services: Redis and nginx",
    description:
      "Redis memory, hit ratio, evictions and slow log; nginx connections, requests and errors.",
    refresh: "30s",
  });
  redisPanels(board);
  nginxPanels(board);
  return board.build();
}
