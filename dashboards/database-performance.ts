import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { BACKUP_THRESHOLDS, THRESHOLDS } from "../components/monitoring/contract";
import { BACKUP_METRICS, backupsOf, JOBS, sel } from "../components/monitoring/selectors";
import { DATABASE_NAME, ROLES } from "../components/postgres/access";
import { houseDashboard, redAbove, row, statPanel, tablePanel, timeSeries } from "./panels";

const postgres = sel({ job: JOBS.postgres });
const database = sel({ job: JOBS.postgres, datname: DATABASE_NAME });
const pool = sel({ job: JOBS.postgres, usename: ROLES.app });

/** The backend's pool against DB_POOL_MAX, and every connection against max_connections. */
function connections(board: dashboard.DashboardBuilder, poolMax: number): void {
  board
    .withRow(row("Connections"))
    .withPanel(
      statPanel({
        title: "Backend pool in use",
        description: `Connections of ${ROLES.app} against the backend's DB_POOL_MAX of ${poolMax} (DatabasePoolNearExhaustion).`,
        unit: "percentunit",
        thresholds: redAbove(THRESHOLDS.poolUsageRatio),
        queries: [
          { expr: `sum(pg_connections_by_role_count${pool})\n  / ${poolMax}`, legend: "pool" },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: "max_connections in use",
        description:
          "Every open connection against PostgreSQL's max_connections (PostgresConnectionsHigh).",
        unit: "percentunit",
        thresholds: redAbove(THRESHOLDS.connectionUsageRatio),
        queries: [
          {
            expr: `sum(pg_stat_activity_count${postgres})
  / max(pg_settings_max_connections${postgres})`,
            legend: "in use",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Backend connections",
        description: `Open connections of ${ROLES.app}, the backend's pool; the line is DB_POOL_MAX.`,
        unit: "short",
        thresholds: redAbove(poolMax),
        queries: [
          { expr: `sum by (state) (pg_connections_by_role_count${pool})`, legend: "{{state}}" },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Connections by role",
        description: "Open connections per database role, from pg_stat_activity.",
        unit: "short",
        width: 24,
        queries: [
          {
            expr: `sum by (usename) (pg_connections_by_role_count${postgres})`,
            legend: "{{usename}}",
          },
        ],
      }),
    );
}

const rate = (metric: string, selectorText: string) => `rate(${metric}${selectorText}[5m])`;

/** Transactions, cache hits, row changes and locks of the application's database. */
function activity(board: dashboard.DashboardBuilder): void {
  board
    .withRow(row("Activity"))
    .withPanel(
      timeSeries({
        title: "Transactions per second",
        description: `Commits and rollbacks in ${DATABASE_NAME}, over 5 minutes.`,
        unit: "ops",
        queries: [
          { expr: `sum(${rate("pg_stat_database_xact_commit", database)})`, legend: "commits" },
          { expr: `sum(${rate("pg_stat_database_xact_rollback", database)})`, legend: "rollbacks" },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Cache hit ratio",
        description: `Share of block reads in ${DATABASE_NAME} served from shared_buffers, over 5 minutes.`,
        unit: "percentunit",
        queries: [
          {
            expr: `sum(${rate("pg_stat_database_blks_hit", database)})
  / (
    sum(${rate("pg_stat_database_blks_hit", database)})
    + sum(${rate("pg_stat_database_blks_read", database)})
  )`,
            legend: "hit ratio",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Locks by mode",
        description: `Locks held or awaited in ${DATABASE_NAME}, by lock mode.`,
        unit: "short",
        queries: [{ expr: `sum by (mode) (pg_locks_count${database})`, legend: "{{mode}}" }],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Rows inserted, updated and deleted",
        description: "Row changes per table from pg_stat_user_tables, over 5 minutes.",
        unit: "rowsps",
        width: 16,
        queries: (["ins", "upd", "del"] as const).map((change) => ({
          expr: `sum by (relname) (
  ${rate(`pg_table_activity_n_tup_${change}`, postgres)}
)`,
          legend: `{{relname}} ${change}`,
        })),
      }),
    )
    .withPanel(
      timeSeries({
        title: "Dead rows",
        description: "Dead rows waiting for vacuum, for the ten tables with the most.",
        unit: "short",
        queries: [
          { expr: `topk(10, pg_table_activity_n_dead_tup${postgres})`, legend: "{{relname}}" },
        ],
      }),
    );
}

/** The labels that name one statement of pg_stat_statements, at either level. */
const STATEMENT_LABELS = "datname, usename, queryid, query";

/** The statements that take the time, from pg_stat_statements. */
function statements(board: dashboard.DashboardBuilder): void {
  // pg_stat_statements keeps a statement run at top level and inside a function as two entries;
  // both count for the statement.
  const perStatement = (metric: string) => `sum by (${STATEMENT_LABELS}) (
    ${metric}
  )`;
  board
    .withRow(row("Slowest queries"))
    .withPanel(
      tablePanel({
        title: "Slowest statements by mean time",
        description:
          "The ten statements with the highest mean run time since statistics were reset, among the 50 entries of pg_stat_statements that took the most time in total.",
        unit: "s",
        queries: [
          {
            expr: `topk(
  10,
  ${perStatement(`pg_stat_statements_top_total_seconds${postgres}`)}
    / ${perStatement(`pg_stat_statements_top_calls${postgres}`)}
)`,
            legend: "{{query}}",
          },
        ],
        columns: {
          headings: {
            query: "Statement",
            Value: "Mean time",
            datname: "Database",
            usename: "Role",
            queryid: "queryid",
          },
        },
      }),
    )
    .withPanel(
      timeSeries({
        title: "Time spent per statement",
        description:
          "Seconds per second the ten busiest statements run, over 5 minutes; 100 % is one connection busy all the time.",
        unit: "percentunit",
        width: 24,
        queries: [
          {
            expr: `topk(
  10,
  ${perStatement(rate("pg_stat_statements_top_total_seconds", postgres))}
)`,
            legend: "{{query}}",
          },
        ],
      }),
    );
}

/** WAL archiving, the backups it completes, and PostGIS's share of the work. */
function durabilityAndSpatial(board: dashboard.DashboardBuilder): void {
  board
    .withRow(row("WAL and backups"))
    .withPanel(
      timeSeries({
        title: "WAL segments archived",
        description: "WAL segments archived and failed attempts per hour, from pg_stat_archiver.",
        unit: "short",
        queries: [
          { expr: `increase(pg_archiver_archived_count${postgres}[1h])`, legend: "archived" },
          { expr: `increase(pg_archiver_failed_count${postgres}[1h])`, legend: "failed" },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: "Last WAL segment archived",
        description:
          "Seconds since PostgreSQL last archived a WAL segment (-1 before the first); archive_timeout ships one at least every minute.",
        unit: "s",
        queries: [{ expr: `pg_archiver_seconds_since_last_archived${postgres}`, legend: "age" }],
        thresholds: redAbove(BACKUP_THRESHOLDS.archiveLagSeconds),
      }),
    )
    .withPanel(
      statPanel({
        title: "Last full backup",
        description:
          "Time since the last successful full pgBackRest backup, from the backup job's metrics; the nightly full runs at 02:00 UTC.",
        unit: "s",
        queries: [
          {
            expr: `time() - max(
  pgbackrest_backup_last_success_timestamp_seconds${backupsOf("full")}
)`,
            legend: "full",
          },
        ],
        thresholds: redAbove(BACKUP_THRESHOLDS.fullMaxAgeSeconds),
      }),
    )
    .withPanel(
      statPanel({
        title: "Last incremental or full backup",
        description:
          "Time since the last successful backup of either type, as the incremental alert counts it: a full holds all an incremental would.",
        unit: "s",
        queries: [
          {
            expr: `time() - max(
  pgbackrest_backup_last_success_timestamp_seconds${backupsOf("full", "incr")}
)`,
            legend: "any",
          },
        ],
        thresholds: redAbove(BACKUP_THRESHOLDS.incrementalMaxAgeSeconds),
      }),
    )
    .withPanel(
      timeSeries({
        title: "Backup duration",
        description: "How long the last full and incremental backups took, from the backup job.",
        unit: "s",
        queries: [
          {
            expr: `max by (type) (
  pgbackrest_backup_last_duration_seconds${BACKUP_METRICS}
)`,
            legend: "{{type}}",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "Backup size",
        description: "Size of the last full and incremental backups in the repository.",
        unit: "bytes",
        queries: [
          {
            expr: `max by (type) (
  pgbackrest_backup_last_size_bytes${BACKUP_METRICS}
)`,
            legend: "{{type}}",
          },
        ],
      }),
    )
    .withRow(row("Spatial operations"))
    .withPanel(
      timeSeries({
        title: "PostGIS calls per second",
        description:
          "Runs of statements calling each PostGIS function (ST_*), over 5 minutes, from the 50 such entries of pg_stat_statements that took the most time.",
        unit: "ops",
        width: 12,
        queries: [
          {
            expr: `sum by (function) (
  ${rate("pg_postgis_statements_calls", postgres)}
)`,
            legend: "{{function}}",
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: "PostGIS time per call",
        description:
          "Mean seconds a statement calling each PostGIS function takes, from pg_stat_statements, over 5 minutes.",
        unit: "s",
        width: 12,
        queries: [
          {
            expr: `sum by (function) (${rate("pg_postgis_statements_total_seconds", postgres)})
  / sum by (function) (${rate("pg_postgis_statements_calls", postgres)})`,
            legend: "{{function}}",
          },
        ],
      }),
    );
}

/** Where the runbook's database sections look: connections, activity, queries, WAL, PostGIS. */
export function databasePerformance(poolMax: number): dashboard.Dashboard {
  const board = houseDashboard({
    uid: "database-performance",
    title: "Database performance",
    description:
      "PostgreSQL with PostGIS: connections, activity, slow queries, WAL, backups and spatial work.",
    refresh: "15s",
  });
  connections(board, poolMax);
  activity(board);
  statements(board);
  durabilityAndSpatial(board);
  return board.build();
}
