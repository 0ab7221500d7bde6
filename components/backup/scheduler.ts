import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { FIXED_NAME, hardenedContainerArgs } from "../docker/container";
import { publishRenderedFile, RenderedFile } from "../rendered-files";
import {
  BACKUP_CONTAINER,
  BACKUP_CONTAINER_GROUPS,
  PGBACKREST_CONFIG_FILE,
  PGDATA,
  POSTGRES_DATA_MOUNT,
  REDIS_DATA_DIR,
  RENDERED_CONFIG_DIR,
  SCHEDULE_FILE,
  SCRATCH_DIR,
  SOCKET_DIR,
  SYSTEM_SOURCES_DIR,
} from "./layout";
import { BackupRepository, metricsMount } from "./repository";
import { BackupSchedules, renderSchedule } from "./schedule";

export interface BackupSchedulerArgs {
  repository: BackupRepository;
  schedules: BackupSchedules;
  /** The application database the manifests and integrity checks read. */
  database: string;
  /** Key tables of the manifest, `schema.table`; empty means every table of the database. */
  manifestTables: readonly string[];
  /** Postgres's data volume: read by backups, written only by a restore. */
  postgresData: docker.Volume;
  redis: {
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    user: pulumi.Input<string>;
    password: pulumi.Input<string>;
    data: docker.Volume;
  };
  /** Volumes the weekly system backup archives, by the directory name they get in the archive. */
  systemVolumes: Record<string, pulumi.Input<string>>;
  /** Files the stack rendered; the system backup archives them beside the data. */
  renderedFiles: readonly RenderedFile[];
  dataNetwork: docker.Network;
  memoryMb: number;
}

/**
 * The backup container: the image's scheduler runs the backup jobs on the configured schedules
 * (its runs are in `docker logs backup`, their outcome in the metrics node-exporter serves), and
 * the `ops` commands run their backups, verifications and restores in it.
 */
export class BackupScheduler extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  /** Where the DR test restores its scratch copy; emptied by the next test, never kept. */
  public readonly scratchVolume: docker.Volume;

  constructor(name: string, args: BackupSchedulerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:backup:BackupScheduler", name, {}, opts);

    const schedule = renderSchedule(args.schedules);
    publishRenderedFile({ path: "backup/schedule", content: schedule });
    const repository = args.repository;
    const redis = args.redis;

    this.scratchVolume = new docker.Volume(
      `${name}-scratch`,
      { name: `${name}-scratch` },
      // Kept on destroy like every volume of the stack; a restored copy in it is cleared by the
      // next DR test.
      { parent: this, retainOnDelete: true },
    );

    this.container = new docker.Container(
      `${name}-container`,
      {
        ...hardenedContainerArgs(args.memoryMb),
        name: BACKUP_CONTAINER,
        hostname: BACKUP_CONTAINER,
        // The build's image ID: the tag stays the same when bin/ or the Dockerfile changes.
        image: repository.image.repoDigest,
        // The same user as the server: peer authentication on the socket, and the data's owner.
        user: "postgres",
        groupAdds: [...BACKUP_CONTAINER_GROUPS],
        command: ["backup-scheduler", SCHEDULE_FILE],
        envs: pulumi
          .all([redis.host, redis.port, redis.user, redis.password, repository.secretEnvs])
          .apply(([host, port, user, password, secrets]) => [
            `PGHOST=${SOCKET_DIR}`,
            "PGUSER=postgres",
            `PGDATABASE=${args.database}`,
            `BACKUP_MANIFEST_TABLES=${args.manifestTables.join(" ")}`,
            `PGDATA=${PGDATA}`,
            `BACKUP_SCRATCH_ROOT=${SCRATCH_DIR}`,
            `REDIS_HOST=${host}`,
            `REDIS_PORT=${port}`,
            `REDIS_USER=${user}`,
            `REDIS_DATA_DIR=${REDIS_DATA_DIR}`,
            `REDISCLI_AUTH=${password}`,
            ...secrets,
          ]),
        uploads: [
          { file: PGBACKREST_CONFIG_FILE, content: repository.config },
          { file: SCHEDULE_FILE, content: schedule },
          ...args.renderedFiles.map((file) => ({
            file: `${RENDERED_CONFIG_DIR}/${file.path}`,
            content: file.content,
          })),
        ],
        volumes: [
          { volumeName: args.postgresData.name, containerPath: POSTGRES_DATA_MOUNT },
          ...repository.mounts,
          metricsMount(repository.metricsVolume, false),
          { volumeName: this.scratchVolume.name, containerPath: SCRATCH_DIR },
          // Writable only for backup-redis-restore; snapshots read dump.rdb.
          { volumeName: redis.data.name, containerPath: REDIS_DATA_DIR, readOnly: false },
          ...Object.entries(args.systemVolumes).map(([directory, volumeName]) => ({
            volumeName,
            containerPath: `${SYSTEM_SOURCES_DIR}/${directory}`,
            readOnly: true,
          })),
        ],
        networksAdvanced: [{ name: args.dataNetwork.name, aliases: [BACKUP_CONTAINER] }],
        // A backup in flight is given time to finish its current file before the stop.
        stopTimeout: 60,
        destroyGraceSeconds: 60,
      },
      { parent: this, ...FIXED_NAME },
    );

    this.registerOutputs({
      container: this.container.id,
      scratchVolume: this.scratchVolume.name,
    });
  }
}
