import { BACKUP_THRESHOLDS, INTERVALS } from "../contract";
import { JOBS, sel } from "../selectors";
import { RuleArea } from "./model";

const node = (type: string) => sel({ job: JOBS.node, type });
const postgres = sel({ job: JOBS.postgres });

/** Backups: the metrics the backup jobs write for node-exporter, and pg_stat_archiver. */
export const backupRules: RuleArea = {
  name: "backups",
  interval: INTERVALS.default,
  rules: [
    {
      alert: "BackupFullTooOld",
      expr: `time() - max(pgbackrest_backup_last_success_timestamp_seconds${node("full")})
  > ${BACKUP_THRESHOLDS.fullMaxAgeSeconds}`,
      for: 300,
      severity: "warning",
      team: "platform",
      summary: "No successful full database backup for more than 26 hours",
      description:
        "The last full pgBackRest backup finished {{ $value | humanizeDuration }} ago; the nightly full has failed or not run.",
    },
    {
      // A full also counts: it holds everything an incremental would.
      alert: "BackupIncrementalTooOld",
      expr: `time() - max(pgbackrest_backup_last_success_timestamp_seconds{job="${JOBS.node}",type=~"full|incr"})
  > ${BACKUP_THRESHOLDS.incrementalMaxAgeSeconds}`,
      for: 300,
      severity: "warning",
      team: "platform",
      summary: "No successful database backup for more than 2 hours",
      description:
        "The last incremental or full pgBackRest backup finished {{ $value | humanizeDuration }} ago; hourly incrementals are failing or skipped.",
    },
    {
      alert: "BackupManifestFailed",
      expr: `backup_manifest_last_run_success${sel({ job: JOBS.node })} == 0`,
      for: 300,
      severity: "warning",
      team: "platform",
      summary: "The manifest of the last database backup could not be recorded",
      description:
        "Row counts and checksums were not recorded after the last backup on {{ $labels.instance }}: the backup itself is good, but a restore of it cannot be compared with what it held.",
    },
    {
      alert: "WalArchivingFailing",
      expr: `rate(pg_archiver_failed_count${postgres}[5m]) > 0
  and on (job, instance)
  pg_archiver_seconds_since_last_archived${postgres} > ${BACKUP_THRESHOLDS.archiveLagSeconds}`,
      for: 120,
      severity: "critical",
      team: "platform",
      summary: "PostgreSQL cannot archive WAL to pgBackRest",
      description:
        "archive_command has been failing on {{ $labels.instance }} with nothing archived for over 2 minutes: point-in-time restore stops at the last archived segment and WAL fills pg_wal.",
    },
  ],
};
