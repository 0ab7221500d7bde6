import { STANZA } from "../backup/layout";
import { toPostgresSize } from "../config/sizes";
import { SUPERUSER_RESERVED_CONNECTIONS } from "./connections";

/** Where the rendered files live inside the Postgres container. */
export const POSTGRES_CONFIG_FILE = "/etc/postgresql/postgresql.conf";
export const POSTGRES_HBA_FILE = "/etc/postgresql/pg_hba.conf";
export const POSTGRES_PORT = 5432;

export interface PostgresSettingsInput {
  /** Memory limit of the container, in bytes; the cache estimates are sized from it. */
  memoryBytes: number;
  sharedBuffersBytes: number;
  workMemBytes: number;
  maxConnections: number;
}

const MB = 1024 ** 2;

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Values that are not in config follow from the memory limit. */
function derived(input: PostgresSettingsInput) {
  return {
    effectiveCache: Math.floor((input.memoryBytes * 3) / 4 / MB) * MB,
    maintenanceWorkMem: Math.floor(clamp(input.memoryBytes / 16, 64 * MB, 1024 * MB) / MB) * MB,
  };
}

function line(name: string, value: string | number): string {
  return typeof value === "number" ? `${name} = ${value}` : `${name} = '${value}'`;
}

/**
 * postgresql.conf for the Postgres container. Logging goes to stderr (Docker keeps it), with
 * connections and disconnections on: the runbook audits authentication failures from these lines.
 */
export function renderPostgresConf(input: PostgresSettingsInput): string {
  const { effectiveCache, maintenanceWorkMem } = derived(input);
  const sections: [string, string[]][] = [
    [
      "Connections",
      [
        line("listen_addresses", "*"),
        line("port", POSTGRES_PORT),
        line("max_connections", input.maxConnections),
        line("superuser_reserved_connections", SUPERUSER_RESERVED_CONNECTIONS),
        line("password_encryption", "scram-sha-256"),
        line("hba_file", POSTGRES_HBA_FILE),
        line("tcp_keepalives_idle", 60),
      ],
    ],
    [
      "Memory, sized from the container's limit",
      [
        line("shared_buffers", toPostgresSize(input.sharedBuffersBytes)),
        line("work_mem", toPostgresSize(input.workMemBytes)),
        line("maintenance_work_mem", toPostgresSize(maintenanceWorkMem)),
        line("effective_cache_size", toPostgresSize(effectiveCache)),
      ],
    ],
    [
      "Write-ahead log",
      [
        line("wal_level", "replica"),
        line("max_wal_size", "2GB"),
        line("min_wal_size", "256MB"),
        line("checkpoint_completion_target", "0.9"),
      ],
    ],
    [
      // A segment is closed and shipped at least every minute, so losing the host loses at most
      // about a minute of commits instead of the hour between incremental backups.
      "Continuous archiving to pgBackRest",
      [
        line("archive_mode", "on"),
        line("archive_command", `pgbackrest --stanza=${STANZA} archive-push %p`),
        line("archive_timeout", "60s"),
      ],
    ],
    [
      "Query statistics for slow-query and PostGIS analysis",
      [
        line("shared_preload_libraries", "pg_stat_statements"),
        line("pg_stat_statements.max", 10000),
        line("pg_stat_statements.track", "all"),
        // Utility statements keep their literals, so CREATE ROLE … PASSWORD would be readable by
        // every pg_monitor member; only plannable statements, whose constants are masked, are kept.
        line("pg_stat_statements.track_utility", "off"),
        line("track_io_timing", "on"),
        line("track_functions", "all"),
      ],
    ],
    [
      "Logging: stderr, collected by Docker",
      [
        line("log_destination", "stderr"),
        line("logging_collector", "off"),
        line("log_line_prefix", "%m [%p] %q%u@%d from %h "),
        line("log_connections", "on"),
        line("log_disconnections", "on"),
        line("log_min_duration_statement", "1s"),
        line("log_lock_waits", "on"),
        line("log_temp_files", "0"),
        line("log_timezone", "UTC"),
        line("timezone", "UTC"),
      ],
    ],
  ];
  const body = sections.map(([title, lines]) => [`# ${title}`, ...lines].join("\n"));
  return ["# Rendered by the waste-management stack; a deploy overwrites local edits.", ...body]
    .join("\n\n")
    .concat("\n");
}

export interface PostgresHbaInput {
  /** Subnets whose containers may log in with a password. */
  allowedSubnets: string[];
}

/**
 * pg_hba.conf: the image's init scripts use the local socket as `postgres` (peer), containers of
 * the allowed subnets log in with SCRAM passwords, and everything else is refused outright.
 */
export function renderPostgresHba(input: PostgresHbaInput): string {
  const rows = [
    ["local", "all", "postgres", "", "peer"],
    ["local", "all", "all", "", "scram-sha-256"],
    ...input.allowedSubnets.map((subnet) => ["host", "all", "all", subnet, "scram-sha-256"]),
    ["host", "all", "all", "all", "reject"],
  ];
  const table = rows.map((row) => row.map((cell, i) => (i < 4 ? cell.padEnd(16) : cell)).join(""));
  return [
    "# Rendered by the waste-management stack; a deploy overwrites local edits.",
    "# TYPE        DATABASE        USER            ADDRESS         METHOD",
    ...table,
    "",
  ].join("\n");
}
