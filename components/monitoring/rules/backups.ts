import { BACKUP_THRESHOLDS, INTERVALS } from "../contract";
import { BACKUP_METRICS, backupsOf, JOBS, sel } from "../selectors";
import { RuleArea } from "./model";

const postgres = sel({ job: JOBS.postgres });
/**
 * A job's last run failed or was skipped. The value stays until its next run, so the window only
 * rides out a scrape or two; a failed 02:00 full warns at 02:05, not when the age alert would.
 */
const FAILED_RUN_FOR_SECONDS = 300;
/** How long a backup may be older than its threshold before the age alerts fire. */
const TOO_OLD_FOR_SECONDS = 300;

/** Backups: the metrics the backup jobs write for node-exporter, and pg_stat_archiver. */
export const backupRules: RuleArea = {
  name: "backups",
  interval: INTERVALS.default,
  rules: [
    {
      alert: "BackupFullTooOld",
      expr: `time() - max(pgbackrest_backup_last_success_timestamp_seconds${backupsOf("full")})
  > ${BACKUP_THRESHOLDS.fullMaxAgeSeconds}`,
      for: TOO_OLD_FOR_SECONDS,
      severity: "warning",
      team: "platform",
      summary: "No successful full database backup for more than 26 hours",
      description:
        "The last full pgBackRest backup finished {{ $value | humanizeDuration }} ago; the nightly full has failed or not run.",
    },
    {
      // A full also counts: it holds everything an incremental would.
      alert: "BackupIncrementalTooOld",
      expr: `time() - max(pgbackrest_backup_last_success_timestamp_seconds${backupsOf("full", "incr")})
  > ${BACKUP_THRESHOLDS.incrementalMaxAgeSeconds}`,
      for: TOO_OLD_FOR_SECONDS,
      severity: "warning",
      team: "platform",
      summary: "No successful database backup for more than 2 hours",
      description:
        "The last incremental or full pgBackRest backup finished {{ $value | humanizeDuration }} ago; hourly incrementals are failing or skipped.",
    },
    {
      alert: "BackupFailed",
      expr: `pgbackrest_backup_last_run_success${BACKUP_METRICS} == 0`,
      for: FAILED_RUN_FOR_SECONDS,
      severity: "warning",
      team: "platform",
      summary: "The last database backup failed",
      description:
        "The last {{ $labels.type }} pgBackRest backup on {{ $labels.instance }} failed or was skipped; until one succeeds, restores rely on older backups and more WAL.",
    },
    {
      alert: "BackupManifestFailed",
      expr: `backup_manifest_last_run_success${BACKUP_METRICS} == 0`,
      for: FAILED_RUN_FOR_SECONDS,
      severity: "warning",
      team: "platform",
      summary: "The manifest of the last database backup could not be recorded",
      description:
        "Row counts and checksums were not recorded after the last backup on {{ $labels.instance }}: the backup itself is good, but a restore of it cannot be compared with what it held.",
    },
    {
      alert: "RedisSnapshotFailed",
      expr: `redis_snapshot_last_run_success${BACKUP_METRICS} == 0`,
      for: FAILED_RUN_FOR_SECONDS,
      severity: "warning",
      team: "platform",
      summary: "The last Redis snapshot failed",
      description:
        "The last BGSAVE snapshot of Redis taken from {{ $labels.instance }} failed or was skipped; the newest snapshot in the repository is older than the schedule promises.",
    },
    {
      alert: "RedisSnapshotTooOld",
      expr: `time() - max(redis_snapshot_last_success_timestamp_seconds${BACKUP_METRICS})
  > ${BACKUP_THRESHOLDS.redisSnapshotMaxAgeSeconds}`,
      for: TOO_OLD_FOR_SECONDS,
      severity: "warning",
      team: "platform",
      summary: "No Redis snapshot for more than 2 hours",
      description:
        "The last Redis snapshot was stored {{ $value | humanizeDuration }} ago; the hourly snapshots are failing or not running.",
    },
    {
      alert: "SystemBackupFailed",
      expr: `system_backup_last_run_success${BACKUP_METRICS} == 0`,
      for: FAILED_RUN_FOR_SECONDS,
      severity: "warning",
      team: "platform",
      summary: "The last weekly system backup failed",
      description:
        "The last archive of the monitoring data and the rendered configuration on {{ $labels.instance }} failed or was skipped.",
    },
    {
      alert: "SystemBackupTooOld",
      expr: `time() - max(system_backup_last_success_timestamp_seconds${BACKUP_METRICS})
  > ${BACKUP_THRESHOLDS.systemMaxAgeSeconds}`,
      for: TOO_OLD_FOR_SECONDS,
      severity: "warning",
      team: "platform",
      summary: "No system backup for more than 8 days",
      description:
        "The last weekly system archive was stored {{ $value | humanizeDuration }} ago; the Sunday run has failed or not run.",
    },
    {
      alert: "DisasterRecoveryTestFailed",
      expr: `backup_dr_test_last_run_success${BACKUP_METRICS} == 0`,
      for: FAILED_RUN_FOR_SECONDS,
      severity: "warning",
      team: "platform",
      summary: "The last disaster-recovery test failed",
      description:
        "The latest backup did not restore into a scratch server that matches its manifest (run on {{ $labels.instance }}): treat the backup as broken until a DR test passes.",
    },
    {
      alert: "WalArchivingFailing",
      // The query reports -1 while nothing has been archived since the statistics began (a new
      // cluster, or a crash that reset them): with failures rising, that is stuck archiving too.
      expr: `rate(pg_archiver_failed_count${postgres}[5m]) > 0
  and on (job, instance)
  (
    pg_archiver_seconds_since_last_archived${postgres} > ${BACKUP_THRESHOLDS.archiveLagSeconds}
    or
    pg_archiver_seconds_since_last_archived${postgres} < 0
  )`,
      for: 120,
      severity: "critical",
      team: "platform",
      summary: "PostgreSQL cannot archive WAL to pgBackRest",
      description:
        "archive_command has been failing on {{ $labels.instance }} with nothing archived for over 2 minutes: point-in-time restore stops at the last archived segment and WAL fills pg_wal.",
    },
  ],
};
