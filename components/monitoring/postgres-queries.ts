import { stringify } from "yaml";

/** The labels that name one pg_stat_statements entry: its database, role, fingerprint and level. */
const STATEMENT_LABELS = [
  { datname: { usage: "LABEL", description: "Database" } },
  { usename: { usage: "LABEL", description: "Role that ran the statement" } },
  { queryid: { usage: "LABEL", description: "Statement fingerprint" } },
  {
    toplevel: {
      usage: "LABEL",
      description: "true when run by a client, false when run inside a function",
    },
  },
] as const;

/**
 * postgres_exporter's extra queries: what the runbook inspects by hand today. Each metric is named
 * `<query key>_<column>`; columns marked LABEL become labels.
 */
export const POSTGRES_QUERIES = {
  // The statements that took the most time in total, one row per pg_stat_statements entry. With
  // pg_stat_statements.track 'all', a statement run at top level and inside a function has two
  // entries under one queryid, told apart by toplevel; without that label the exporter would
  // collect one series twice and fail the whole scrape (HTTP 500), which reads as Postgres down.
  // A series is one entry, so it only goes down when the entry is reset; one that leaves the
  // top 50 is just gone, and the dashboards sum rates per statement. 50 bounds the series
  // (five per row) while holding the ten statements the dashboards show many times over.
  pg_stat_statements_top: {
    query: `SELECT d.datname, r.rolname AS usename, s.queryid::text AS queryid,
  s.toplevel::text AS toplevel,
  left(regexp_replace(s.query, '\\s+', ' ', 'g'), 160) AS query,
  s.calls, s.total_exec_time / 1000 AS total_seconds,
  s.rows, s.shared_blks_hit, s.shared_blks_read
FROM pg_stat_statements s
JOIN pg_database d ON d.oid = s.dbid
JOIN pg_roles r ON r.oid = s.userid
ORDER BY s.total_exec_time DESC
LIMIT 50`,
    metrics: [
      ...STATEMENT_LABELS,
      {
        query: {
          usage: "LABEL",
          description: "Statement text, normalised and cut to 160 characters",
        },
      },
      { calls: { usage: "COUNTER", description: "Times the statement ran" } },
      { total_seconds: { usage: "COUNTER", description: "Seconds spent running it" } },
      { rows: { usage: "COUNTER", description: "Rows returned or affected" } },
      { shared_blks_hit: { usage: "COUNTER", description: "Buffer cache hits" } },
      { shared_blks_read: { usage: "COUNTER", description: "Blocks read from disk" } },
    ],
  },
  // Inserts, updates and deletes per table, and the scans that find missing indexes. Not named
  // pg_stat_user_tables: newer exporters (the image deployed) collect that prefix themselves, and
  // the same name and labels twice would fail the whole scrape, which reads as Postgres down.
  pg_table_activity: {
    query: `SELECT current_database() AS datname, schemaname, relname,
  seq_scan, COALESCE(idx_scan, 0) AS idx_scan, n_tup_ins, n_tup_upd, n_tup_del,
  n_live_tup, n_dead_tup,
  COALESCE(EXTRACT(EPOCH FROM GREATEST(last_vacuum, last_autovacuum)), 0) AS last_vacuum_seconds
FROM pg_stat_user_tables`,
    metrics: [
      { datname: { usage: "LABEL", description: "Database" } },
      { schemaname: { usage: "LABEL", description: "Schema" } },
      { relname: { usage: "LABEL", description: "Table" } },
      { seq_scan: { usage: "COUNTER", description: "Sequential scans" } },
      { idx_scan: { usage: "COUNTER", description: "Index scans" } },
      { n_tup_ins: { usage: "COUNTER", description: "Rows inserted" } },
      { n_tup_upd: { usage: "COUNTER", description: "Rows updated" } },
      { n_tup_del: { usage: "COUNTER", description: "Rows deleted" } },
      { n_live_tup: { usage: "GAUGE", description: "Live rows, estimated" } },
      { n_dead_tup: { usage: "GAUGE", description: "Dead rows waiting for vacuum" } },
      { last_vacuum_seconds: { usage: "GAUGE", description: "Unix time of the last vacuum" } },
    ],
  },
  // Connections per role and state: the backend's pool is waste_app's share.
  pg_connections_by_role: {
    query: `SELECT usename, COALESCE(state, 'unknown') AS state, count(*) AS count
FROM pg_stat_activity
WHERE usename IS NOT NULL
GROUP BY usename, state`,
    metrics: [
      { usename: { usage: "LABEL", description: "Role" } },
      { state: { usage: "LABEL", description: "Connection state" } },
      { count: { usage: "GAUGE", description: "Open connections" } },
    ],
  },
  // WAL archiving to pgBackRest: a failing archive_command only shows here and in the server log.
  // Seconds are counted from now, so a stalled archiver shows as a growing lag.
  pg_archiver: {
    query: `SELECT archived_count, failed_count,
  COALESCE(EXTRACT(EPOCH FROM now() - last_archived_time), -1) AS seconds_since_last_archived,
  COALESCE(EXTRACT(EPOCH FROM now() - last_failed_time), -1) AS seconds_since_last_failed
FROM pg_stat_archiver`,
    metrics: [
      { archived_count: { usage: "COUNTER", description: "WAL segments archived" } },
      { failed_count: { usage: "COUNTER", description: "Failed attempts to archive a segment" } },
      {
        seconds_since_last_archived: {
          usage: "GAUGE",
          description: "Seconds since the last segment was archived; -1 before the first",
        },
      },
      {
        seconds_since_last_failed: {
          usage: "GAUGE",
          description: "Seconds since the last failed attempt; -1 if none failed",
        },
      },
    ],
  },
  // Spatial work: the 50 entries of pg_stat_statements that call a PostGIS function (ST_*) and
  // took the most time, one row per entry and function. Sums over entries would drop whenever
  // pg_stat_statements evicted one, and rate() would read the drop as a reset and draw a spike;
  // per entry, an evicted one is just gone and the dashboards sum the rates per function. A
  // statement calling two functions counts for both. The bound keeps the series few; spatial
  // statements beyond the 50 busiest are not counted.
  pg_postgis_statements: {
    query: `SELECT d.datname, r.rolname AS usename, s.queryid::text AS queryid,
  s.toplevel::text AS toplevel, f.name AS function,
  s.calls, s.total_exec_time / 1000 AS total_seconds
FROM (
  SELECT dbid, userid, queryid, toplevel, query, calls, total_exec_time
  FROM pg_stat_statements
  WHERE query ~* '\\mst_[a-z0-9_]+\\s*\\('
  ORDER BY total_exec_time DESC
  LIMIT 50
) s
JOIN pg_database d ON d.oid = s.dbid
JOIN pg_roles r ON r.oid = s.userid
CROSS JOIN LATERAL (
  SELECT DISTINCT lower(m[1]) AS name
  FROM regexp_matches(s.query, '\\m(st_[a-z0-9_]+)\\s*\\(', 'gi') AS m
) f`,
    metrics: [
      ...STATEMENT_LABELS,
      { function: { usage: "LABEL", description: "PostGIS function, in lower case" } },
      { calls: { usage: "COUNTER", description: "Runs of the statement" } },
      { total_seconds: { usage: "COUNTER", description: "Seconds spent running it" } },
    ],
  },
} as const;

/** The metric names postgres_exporter makes of the queries file: `<query>_<column>`. */
export function postgresQueryMetricNames(): string[] {
  type Column = { usage: string; description: string };
  const queries: [string, { metrics: readonly Record<string, Column>[] }][] =
    Object.entries(POSTGRES_QUERIES);
  return queries.flatMap(([query, spec]) =>
    spec.metrics.flatMap((metric) =>
      Object.entries(metric)
        .filter(([, column]) => column.usage !== "LABEL")
        .map(([column]) => `${query}_${column}`),
    ),
  );
}

/** The queries file postgres_exporter reads with --extend.query-path. */
export function renderPostgresQueries(): string {
  return [
    "# Rendered by the waste-management stack; a deploy overwrites local edits.",
    stringify(POSTGRES_QUERIES, { lineWidth: 0, aliasDuplicateObjects: false }),
  ].join("\n");
}
