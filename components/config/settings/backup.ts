import { z } from "zod";
import * as field from "../fields";
import { optionalSecret, setting } from "./setting";

/**
 * When backups run and how long they are kept: pgBackRest's full and incremental backups, the Redis
 * snapshot and the system archive; the repository's encryption and prod's S3 bucket.
 */
export const BACKUP_SETTINGS = {
  backupFullSchedule: setting({
    type: "string",
    description:
      "When pgBackRest takes a full backup: 5-field cron in UTC (the runbook: daily 02:00).",
    default: "0 2 * * *",
    schema: field.cronSchedule,
  }),
  backupIncrementalSchedule: setting({
    type: "string",
    description:
      "When pgBackRest takes an incremental backup, in UTC; hourly except the full's hour, so the two never collide.",
    default: "0 0,1,3-23 * * *",
    schema: field.cronSchedule,
  }),
  backupFullWindowMinutes: setting({
    type: "integer",
    description:
      "Minutes a full backup is allowed to run; no incremental may be scheduled that long after a full.",
    default: 60,
    schema: z.number().int().min(1, "must be at least 1 minute").max(1440, "must be at most 1440"),
  }),
  systemBackupSchedule: setting({
    type: "string",
    description:
      "When Prometheus data and the rendered configuration are archived into the repository (UTC; Sunday 03:00).",
    default: "0 3 * * 0",
    schema: field.cronSchedule,
  }),
  redisSnapshotSchedule: setting({
    type: "string",
    description:
      "When Redis is snapshotted with BGSAVE and its RDB copied into the repository (UTC).",
    default: "15 * * * *",
    schema: field.cronSchedule,
  }),
  backupRetentionDays: setting({
    type: "integer",
    description: "Days of full backups (and the WAL to restore them) pgBackRest keeps.",
    default: 14,
    schema: z.number().int().min(1, "must be at least 1 day").max(3650, "must be at most 3650"),
  }),
  backupProcessMax: setting({
    type: "integer",
    description: "Parallel processes pgBackRest compresses and transfers files with.",
    default: 2,
    schema: z.number().int().min(1, "must be at least 1").max(32, "must be at most 32"),
  }),
  backupManifestTables: setting({
    type: "array",
    description:
      "Key tables (schema.table) whose row counts and checksums are recorded after each backup and compared after a restore; empty means every table of the application database.",
    default: [],
    schema: z.array(field.qualifiedTable),
  }),
  backupCipherPass: setting({
    type: "string",
    description:
      "Passphrase pgBackRest encrypts the repository with; empty means one is generated. Keep a copy outside the stack. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  backupBucket: setting({
    type: "string",
    description:
      "S3 bucket of the backup repository in prod (created by the stack); unused in dev.",
    default: "",
    schema: field.bucketName,
  }),
  backupGlacierAfterDays: setting({
    type: "integer",
    description:
      "Days after pgBackRest deletes or replaces an object of the prod backup bucket before the kept old version moves to S3 Glacier; current objects stay in S3 Standard, where pgBackRest can read them.",
    default: 30,
    schema: z.number().int().min(1, "must be at least 1 day").max(3650, "must be at most 3650"),
  }),
  backupNoncurrentExpiryDays: setting({
    type: "integer",
    description:
      "Days the prod backup bucket keeps overwritten or deleted object versions; more than backupGlacierAfterDays (Glacier bills 90 days at least).",
    default: 120,
    schema: z.number().int().min(1, "must be at least 1 day").max(3650, "must be at most 3650"),
  }),
} as const;
