import { ROLES } from "../../postgres/access";
import { INTERVALS, THRESHOLDS } from "../contract";
import { JOBS, sel } from "../selectors";
import { AlertRule, RuleArea } from "./model";

const postgres = sel({ job: JOBS.postgres });

/** The database's connections, against the backend's pool and against max_connections. */
export function databaseRules(poolMax: number): RuleArea {
  const pool: AlertRule = {
    alert: "DatabasePoolNearExhaustion",
    expr: `sum(pg_connections_by_role_count${sel({ job: JOBS.postgres, usename: ROLES.app })})
  >= ${THRESHOLDS.poolUsageRatio} * ${poolMax}`,
    for: 120,
    severity: "warning",
    team: "platform",
    summary: "Backend's database pool nearly exhausted",
    description: `{{ $value }} of DB_POOL_MAX=${poolMax} connections are open; requests will queue.`,
  };
  const connections: AlertRule = {
    alert: "PostgresConnectionsHigh",
    expr: `sum(pg_stat_activity_count${postgres})
  / max(pg_settings_max_connections${postgres}) > ${THRESHOLDS.connectionUsageRatio}`,
    for: 300,
    severity: "warning",
    team: "platform",
    summary: `Postgres above ${THRESHOLDS.connectionUsageRatio * 100} % of max_connections`,
    description: "{{ $value | humanizePercentage }} of max_connections are in use.",
  };
  return { name: "database", interval: INTERVALS.default, rules: [pool, connections] };
}
