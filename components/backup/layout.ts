/**
 * Names and paths the backup image, its scripts, the stack and the `ops` commands share. The
 * scripts in images/postgres-backup/bin read the same values from their environment.
 */
export const STANZA = "waste";

/** Where pgBackRest reads its configuration in both containers of the image. */
export const PGBACKREST_CONFIG_FILE = "/etc/pgbackrest/pgbackrest.conf";

/** The dev repository's mount point; prod keeps the same layout under this prefix in S3. */
export const REPO_PATH = "/var/lib/pgbackrest";
export const S3_REPO_PATH = "/pgbackrest";

/** PGDATA of the Postgres container, on its data volume. */
export const POSTGRES_DATA_MOUNT = "/var/lib/postgresql/data";
export const PGDATA = `${POSTGRES_DATA_MOUNT}/pgdata`;

/** The server's socket directory, shared with the backup container on a volume. */
export const SOCKET_DIR = "/var/run/postgresql";

/**
 * The DR test's scratch volume in the backup container: a restored copy never lands on the live
 * database's disk.
 */
export const SCRATCH_DIR = "/var/lib/backup-scratch";

/** node-exporter's textfile collector reads the files the backup jobs write here. */
export const METRICS_DIR = "/var/lib/backup-metrics";

/** Read-only mounts the system backup archives, and the rendered configuration. */
export const SYSTEM_SOURCES_DIR = "/srv/system";
export const RENDERED_CONFIG_DIR = "/etc/waste-backup/rendered";
export const SCHEDULE_FILE = "/etc/waste-backup/schedule";

/** Where Redis's data volume is mounted in the backup container, writable for a restore. */
export const REDIS_DATA_DIR = "/srv/redis-data";

/** The container that runs the scheduler and every backup, verify and restore command. */
export const BACKUP_CONTAINER = "backup";

/** Environment variables pgBackRest reads its secrets from; never written to pgbackrest.conf. */
export const SECRET_ENV = {
  cipherPass: "PGBACKREST_REPO1_CIPHER_PASS",
  s3Key: "PGBACKREST_REPO1_S3_KEY",
  s3KeySecret: "PGBACKREST_REPO1_S3_KEY_SECRET",
} as const;

/** The Postgres container, which a restore stops and starts again. */
export const POSTGRES_CONTAINER = "postgres";

/** The Redis container, which a Redis restore stops and starts again. */
export const REDIS_CONTAINER = "redis";

/**
 * Supplementary groups of the backup container's postgres user. Grafana's image runs as uid 472
 * in group 0 and keeps grafana.db at 0640: group root is what lets the system backup read it
 * (the volume is mounted read-only). no-new-privileges rules out a capability on tar instead.
 */
export const BACKUP_CONTAINER_GROUPS = ["0"] as const;
