import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { FIXED_NAME, hardenedContainerArgs, imageRef, seconds } from "../docker/container";
import { publishRenderedFile } from "../rendered-files";
import { stackPassword } from "../secrets";
import {
  REDIS_ACL_FILE,
  REDIS_APP_USER,
  REDIS_BACKUP_USER,
  REDIS_CONFIG_FILE,
  REDIS_MONITORING_USER,
  REDIS_PORT,
  renderRedisAcl,
  renderRedisConf,
} from "./settings";

/** The runbook's health-check table gives Redis 5 s to answer. */
export const REDIS_HEALTH_TIMEOUT_SECONDS = 5;

export interface RedisServerArgs {
  /** Image repository, e.g. `redis`. */
  image: string;
  /** Image tag (Redis 7) or sha256 digest; never `latest`. */
  tag: string;
  /** Container memory limit in MB. */
  memoryMb: number;
  /** maxmemory in bytes. */
  maxMemoryBytes: number;
  /** maxmemory-policy. */
  evictionPolicy: string;
  /** Password of the backend's Redis user from config; empty means one is generated. */
  appPassword: string;
  /** The internal data-tier network. */
  dataNetwork: docker.Network;
  /** Refuse to delete the data volume (prod); it is retained on delete either way. */
  protectData: boolean;
}

/** Redis 7 with AOF and RDB persistence and ACL users, on the data network only. */
export class RedisServer extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly volume: docker.Volume;
  public readonly host: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  public readonly appUser: pulumi.Output<string>;
  /** The backend user's password, always a secret. */
  public readonly appPassword: pulumi.Output<string>;
  /** The metrics exporter's user and password (secret). */
  public readonly monitoringUser: pulumi.Output<string>;
  public readonly monitoringPassword: pulumi.Output<string>;
  /** The backup job's user and password (secret): BGSAVE and LASTSAVE only. */
  public readonly backupUser: pulumi.Output<string>;
  public readonly backupPassword: pulumi.Output<string>;

  constructor(name: string, args: RedisServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:cache:RedisServer", name, {}, opts);

    const conf = renderRedisConf({
      maxMemoryBytes: args.maxMemoryBytes,
      evictionPolicy: args.evictionPolicy,
    });
    publishRenderedFile({ path: "redis/redis.conf", content: conf });
    this.appPassword = stackPassword(`${name}-app-password`, args.appPassword, this);
    this.monitoringPassword = stackPassword(`${name}-monitoring-password`, "", this);
    this.backupPassword = stackPassword(`${name}-backup-password`, "", this);
    const acl = pulumi
      .all([this.appPassword, this.monitoringPassword, this.backupPassword])
      .apply(([appPassword, monitoringPassword, backupPassword]) =>
        renderRedisAcl({ appPassword, monitoringPassword, backupPassword }),
      );

    this.volume = new docker.Volume(
      `${name}-data`,
      { name: `${name}-data`, labels: [{ label: "waste.backup", value: "redis-rdb" }] },
      { parent: this, protect: args.protectData, retainOnDelete: true },
    );

    this.container = new docker.Container(
      `${name}-container`,
      {
        ...hardenedContainerArgs(args.memoryMb),
        name,
        hostname: name,
        image: imageRef(args.image, args.tag),
        command: ["redis-server", REDIS_CONFIG_FILE],
        uploads: [
          { file: REDIS_CONFIG_FILE, content: conf },
          { file: REDIS_ACL_FILE, content: acl },
        ],
        volumes: [{ volumeName: this.volume.name, containerPath: "/data" }],
        networksAdvanced: [{ name: args.dataNetwork.name, aliases: [name] }],
        healthcheck: {
          tests: ["CMD", "redis-cli", "ping"],
          interval: seconds(10),
          timeout: seconds(REDIS_HEALTH_TIMEOUT_SECONDS),
          retries: 3,
          startPeriod: seconds(20),
        },
        stopTimeout: 30,
        wait: true,
        waitTimeout: 120,
      },
      { parent: this, dependsOn: [this.volume], ...FIXED_NAME },
    );

    this.host = pulumi.output(name);
    this.port = pulumi.output(REDIS_PORT);
    this.appUser = pulumi.output(REDIS_APP_USER);
    this.monitoringUser = pulumi.output(REDIS_MONITORING_USER);
    this.backupUser = pulumi.output(REDIS_BACKUP_USER);

    this.registerOutputs({
      container: this.container.id,
      volume: this.volume.name,
      host: this.host,
      port: this.port,
      appUser: this.appUser,
      appPassword: this.appPassword,
      monitoringUser: this.monitoringUser,
      monitoringPassword: this.monitoringPassword,
      backupUser: this.backupUser,
      backupPassword: this.backupPassword,
    });
  }
}
