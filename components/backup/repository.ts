import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { imageRef } from "../docker/container";
import { publishRenderedFile } from "../rendered-files";
import { stackPassword } from "../secrets";
import { METRICS_DIR, REPO_PATH, SECRET_ENV, SOCKET_DIR } from "./layout";
import { renderPgbackrestConf } from "./pgbackrest-config";
import { BackupBucket } from "./storage";

/** The image's pgBackRest, pinned in its Dockerfile; part of the tag so a change rebuilds it. */
export const PGBACKREST_VERSION = "2.45";

/** Where the prod repository lives; dev keeps it on a volume. */
export type RepositoryPlacement =
  | { type: "posix" }
  | {
      type: "s3";
      bucket: string;
      region: string;
      glacierAfterDays: number;
      noncurrentExpiryDays: number;
    };

export interface BackupRepositoryArgs {
  /** The pinned PostGIS image the backup image is built on, e.g. `postgis/postgis` and `15-3.4`. */
  postgresImage: string;
  postgresTag: string;
  placement: RepositoryPlacement;
  retentionDays: number;
  processMax: number;
  /** From config; empty means one is generated and kept in state. */
  cipherPass: string;
  protectData: boolean;
}

/** The tag of the built image: the base's tag (a digest shortened) and pgBackRest's version. */
export function backupImageName(postgresTag: string): string {
  const base = postgresTag.startsWith("sha256:") ? postgresTag.slice(7, 19) : postgresTag;
  return `waste-management/postgres-backup:${base}-pgbackrest${PGBACKREST_VERSION}`;
}

/**
 * What the Postgres server and the backup container share: the image with pgBackRest, the
 * rendered pgbackrest.conf, the repository (a volume in dev, an S3 bucket in prod), the
 * server's socket directory, the metrics directory node-exporter reads, and the secrets
 * pgBackRest reads from its environment.
 */
export class BackupRepository extends pulumi.ComponentResource {
  public readonly image: docker.Image;
  public readonly config: string;
  /** `NAME=value` environment entries for pgBackRest's secrets; a secret output. */
  public readonly secretEnvs: pulumi.Output<string[]>;
  public readonly cipherPass: pulumi.Output<string>;
  /** The dev repository's volume; undefined in prod. */
  public readonly repoVolume?: docker.Volume;
  public readonly socketVolume: docker.Volume;
  public readonly metricsVolume: docker.Volume;
  public readonly bucket?: BackupBucket;
  /** Volume mounts both containers need for pgBackRest: the socket, and the repository in dev. */
  public readonly mounts: docker.types.input.ContainerVolume[];

  constructor(name: string, args: BackupRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:backup:BackupRepository", name, {}, opts);

    this.image = new docker.Image(
      `${name}-image`,
      {
        imageName: backupImageName(args.postgresTag),
        // Relative to the project, so the state does not depend on where the repo is checked out.
        build: {
          context: "images/postgres-backup",
          args: { POSTGRES_IMAGE: imageRef(args.postgresImage, args.postgresTag) },
        },
        skipPush: true,
      },
      { parent: this },
    );

    const placement = args.placement;
    this.config = renderPgbackrestConf({
      repository:
        placement.type === "posix"
          ? { type: "posix" }
          : { type: "s3", bucket: placement.bucket, region: placement.region },
      retentionDays: args.retentionDays,
      processMax: args.processMax,
    });
    publishRenderedFile({ path: "backup/pgbackrest.conf", content: this.config });

    // Without the pass the repository cannot be read: keep a copy outside the stack's state too.
    this.cipherPass = stackPassword(`${name}-cipher-pass`, args.cipherPass, this);

    const volume = (suffix: string, keep: boolean) =>
      new docker.Volume(
        `${name}-${suffix}`,
        { name: `${name}-${suffix}` },
        // Kept when the stack is destroyed, like every volume; only the repository is protected.
        { parent: this, protect: keep && args.protectData, retainOnDelete: true },
      );
    this.socketVolume = volume("socket", false);
    this.metricsVolume = volume("metrics", false);
    this.mounts = [{ volumeName: this.socketVolume.name, containerPath: SOCKET_DIR }];

    if (placement.type === "posix") {
      this.repoVolume = volume("repo", true);
      this.mounts.push({ volumeName: this.repoVolume.name, containerPath: REPO_PATH });
      this.secretEnvs = pulumi.secret(
        pulumi.interpolate`${SECRET_ENV.cipherPass}=${this.cipherPass}`.apply((e) => [e]),
      );
    } else {
      this.bucket = new BackupBucket(
        `${name}-s3`,
        {
          bucket: placement.bucket,
          glacierAfterDays: placement.glacierAfterDays,
          noncurrentExpiryDays: placement.noncurrentExpiryDays,
        },
        { parent: this },
      );
      this.secretEnvs = pulumi.secret(
        pulumi
          .all([this.cipherPass, this.bucket.accessKeyId, this.bucket.secretAccessKey])
          .apply(([pass, key, secret]) => [
            `${SECRET_ENV.cipherPass}=${pass}`,
            `${SECRET_ENV.s3Key}=${key}`,
            `${SECRET_ENV.s3KeySecret}=${secret}`,
          ]),
      );
    }

    this.registerOutputs({
      image: this.image.imageName,
      socketVolume: this.socketVolume.name,
      metricsVolume: this.metricsVolume.name,
      repoVolume: this.repoVolume?.name,
      cipherPass: this.cipherPass,
      secretEnvs: this.secretEnvs,
    });
  }
}

/** The metrics directory's mount in the backup container (writable) and node-exporter (read). */
export function metricsMount(
  volume: docker.Volume,
  readOnly: boolean,
): docker.types.input.ContainerVolume {
  return { volumeName: volume.name, containerPath: METRICS_DIR, readOnly };
}
