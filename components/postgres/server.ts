import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { PGBACKREST_CONFIG_FILE } from "../backup/layout";
import {
  FIXED_NAME,
  hardenedContainerArgs,
  LOOPBACK,
  loopbackPort,
  seconds,
} from "../docker/container";
import { publishRenderedFile } from "../rendered-files";
import { stackPassword } from "../secrets";
import {
  POSTGRES_CONFIG_FILE,
  POSTGRES_HBA_FILE,
  POSTGRES_PORT,
  renderPostgresConf,
  renderPostgresHba,
} from "./settings";

/** The runbook's health-check table gives the database 10 s to answer. */
export const POSTGRES_HEALTH_TIMEOUT_SECONDS = 10;

/** What the server needs for continuous archiving to pgBackRest. */
export interface PostgresArchivingArgs {
  /** The rendered pgbackrest.conf; archive_command reads it. */
  config: string;
  /** pgBackRest's secrets as `NAME=value` environment entries (secret). */
  secretEnvs: pulumi.Input<string[]>;
  /** The socket volume, and the repository volume in dev. */
  mounts: docker.types.input.ContainerVolume[];
}

export interface PostgresServerArgs {
  /** The image to run: PostGIS with pgBackRest, built by the stack from a pinned base. */
  image: pulumi.Input<string>;
  archiving: PostgresArchivingArgs;
  /** Container memory limit in MB; the settings are sized from it. */
  memoryMb: number;
  /** shared_buffers in bytes. */
  sharedBuffersBytes: number;
  /** work_mem in bytes. */
  workMemBytes: number;
  /** max_connections. */
  maxConnections: number;
  /** Superuser password from config; empty means one is generated and kept in state. */
  superuserPassword: string;
  /** The internal data-tier network where clients reach the server. */
  dataNetwork: docker.Network;
  /** Subnet of the data tier, allowed in pg_hba.conf. */
  dataSubnet: string;
  /** The network that carries the loopback admin port. */
  adminNetwork: docker.Network;
  /** Subnet of the admin network, allowed in pg_hba.conf. */
  adminSubnet: string;
  /** Port on the host's 127.0.0.1 for the Pulumi PostgreSQL provider. */
  adminPort: number;
  /** Refuse to delete the data volume (prod); it is retained on delete either way. */
  protectData: boolean;
}

/** PostgreSQL 15 with PostGIS and pg_stat_statements, its data on a named volume. */
export class PostgresServer extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly volume: docker.Volume;
  /** Host name of the server on the data network. */
  public readonly host: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  /** The superuser's password, always a secret. */
  public readonly superuserPassword: pulumi.Output<string>;
  /** Where the provider on the Docker host reaches the server. */
  public readonly adminEndpoint: pulumi.Output<{ host: string; port: number }>;

  constructor(name: string, args: PostgresServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:database:PostgresServer", name, {}, opts);

    const conf = renderPostgresConf({
      memoryBytes: args.memoryMb * 1024 ** 2,
      sharedBuffersBytes: args.sharedBuffersBytes,
      workMemBytes: args.workMemBytes,
      maxConnections: args.maxConnections,
    });
    const hba = renderPostgresHba({ allowedSubnets: [args.dataSubnet, args.adminSubnet] });
    publishRenderedFile({ path: "postgres/postgresql.conf", content: conf });
    publishRenderedFile({ path: "postgres/pg_hba.conf", content: hba });
    this.superuserPassword = stackPassword(
      `${name}-superuser-password`,
      args.superuserPassword,
      this,
    );

    // A deleted volume is a lost database: keep it even if the stack is destroyed by mistake.
    this.volume = new docker.Volume(
      `${name}-data`,
      { name: `${name}-data`, labels: [{ label: "waste.backup", value: "pgbackrest" }] },
      { parent: this, protect: args.protectData, retainOnDelete: true },
    );

    this.container = new docker.Container(
      `${name}-container`,
      {
        ...hardenedContainerArgs(args.memoryMb),
        name,
        hostname: name,
        image: args.image,
        command: ["postgres", "-c", `config_file=${POSTGRES_CONFIG_FILE}`],
        envs: pulumi
          .all([this.superuserPassword, args.archiving.secretEnvs])
          .apply(([password, secrets]) => [
            "POSTGRES_USER=postgres",
            "POSTGRES_DB=postgres",
            "PGDATA=/var/lib/postgresql/data/pgdata",
            "POSTGRES_INITDB_ARGS=--data-checksums --auth-local=peer --auth-host=scram-sha-256",
            `POSTGRES_PASSWORD=${password}`,
            ...secrets,
          ]),
        uploads: [
          { file: POSTGRES_CONFIG_FILE, content: conf },
          { file: POSTGRES_HBA_FILE, content: hba },
          { file: PGBACKREST_CONFIG_FILE, content: args.archiving.config },
        ],
        volumes: [
          { volumeName: this.volume.name, containerPath: "/var/lib/postgresql/data" },
          ...args.archiving.mounts,
        ],
        networksAdvanced: [
          { name: args.dataNetwork.name, aliases: [name] },
          { name: args.adminNetwork.name },
        ],
        ports: [loopbackPort(POSTGRES_PORT, args.adminPort)],
        healthcheck: {
          tests: ["CMD", "pg_isready", "-U", "postgres", "-d", "postgres"],
          interval: seconds(15),
          timeout: seconds(POSTGRES_HEALTH_TIMEOUT_SECONDS),
          retries: 3,
          startPeriod: seconds(60),
        },
        // Parallel query workers share memory through /dev/shm; Docker's 64 MB default is too small.
        shmSize: 256,
        stopSignal: "SIGINT",
        stopTimeout: 60,
        destroyGraceSeconds: 60,
        wait: true,
        waitTimeout: 180,
      },
      { parent: this, dependsOn: [this.volume], ...FIXED_NAME },
    );

    this.host = pulumi.output(name);
    this.port = pulumi.output(POSTGRES_PORT);
    this.adminEndpoint = pulumi.output({ host: LOOPBACK, port: args.adminPort });

    this.registerOutputs({
      container: this.container.id,
      volume: this.volume.name,
      host: this.host,
      port: this.port,
      adminEndpoint: this.adminEndpoint,
      superuserPassword: this.superuserPassword,
    });
  }
}
