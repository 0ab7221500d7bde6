import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { METRICS_DIR } from "../backup/layout";
import { metricsMount } from "../backup/repository";
import { FIXED_NAME, hardenedContainerArgs, seconds } from "../docker/container";
import { publishRenderedFile } from "../rendered-files";
import { userinfo } from "../url-userinfo";
import { BlackboxConfigInput, renderBlackboxConfig } from "./blackbox-config";
import { MONITORING_IMAGES, MTAIL_IMAGE } from "./images";
import { renderNginxMtailProgram } from "./mtail";
import { MONITORING_ENDPOINTS, MonitoringEndpoint } from "./ports";
import { renderPostgresQueries } from "./postgres-queries";

/** Exporters are small; a leak must not take the host's memory. */
const EXPORTER_MEMORY_MB = 128;

export interface ExportersArgs {
  blackbox: BlackboxConfigInput;
  postgres: {
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    database: string;
    user: string;
    password: pulumi.Input<string>;
  };
  redis: {
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    user: pulumi.Input<string>;
    password: pulumi.Input<string>;
  };
  /** URL of nginx's stub_status as the exporter reaches it. */
  nginxStatusUrl: string;
  /** The nginx container, whose Docker log mtail reads. */
  nginxContainerId: pulumi.Input<string>;
  monitoringNetwork: docker.Network;
  dataNetwork: docker.Network;
  edgeNetwork: docker.Network;
  /** The volume the backup jobs write their metrics into, for node-exporter's textfile collector. */
  backupMetricsVolume: docker.Volume;
}

/**
 * The exporters Prometheus scrapes: host, containers, Postgres, Redis, nginx (stub_status and,
 * through mtail, status codes from its access log) and the blackbox prober. Each sits on the
 * monitoring network and on the network of what it watches, nothing more.
 */
export class Exporters extends pulumi.ComponentResource {
  public readonly containers: Record<MonitoringEndpoint, docker.Container> = {} as never;

  constructor(name: string, args: ExportersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:monitoring:Exporters", name, {}, opts);

    const blackboxYml = renderBlackboxConfig(args.blackbox);
    const queries = renderPostgresQueries();
    const mtailProgram = renderNginxMtailProgram();
    publishRenderedFile({ path: "monitoring/blackbox.yml", content: blackboxYml });
    publishRenderedFile({ path: "monitoring/postgres-exporter-queries.yaml", content: queries });
    publishRenderedFile({ path: "monitoring/nginx.mtail", content: mtailProgram });

    const exporter = (
      endpoint: MonitoringEndpoint,
      image: pulumi.Input<string>,
      extra: Partial<docker.ContainerArgs>,
      networks: docker.Network[] = [],
    ) => {
      const { name: host, port } = MONITORING_ENDPOINTS[endpoint];
      const container = new docker.Container(
        `${name}-${host}`,
        {
          ...hardenedContainerArgs(EXPORTER_MEMORY_MB),
          name: host,
          hostname: host,
          image,
          networksAdvanced: [args.monitoringNetwork, ...networks].map((network) => ({
            name: network.name,
            aliases: [host],
          })),
          healthcheck: {
            tests: ["CMD-SHELL", `wget -q -O /dev/null http://127.0.0.1:${port}/metrics || exit 1`],
            interval: seconds(30),
            timeout: seconds(5),
            retries: 3,
            startPeriod: seconds(20),
          },
          ...extra,
        },
        { parent: this, ...FIXED_NAME },
      );
      this.containers[endpoint] = container;
      return container;
    };

    // The host's own view: its root filesystem read-only and its process table.
    // The backup jobs' *.prom files are served with the host's metrics.
    exporter("node", MONITORING_IMAGES.nodeExporter, {
      command: ["--path.rootfs=/host", `--collector.textfile.directory=${METRICS_DIR}`],
      pidMode: "host",
      volumes: [
        { hostPath: "/", containerPath: "/host", readOnly: true },
        metricsMount(args.backupMetricsVolume, true),
      ],
    });

    // What `docker stats` shows, per container; read-only mounts, no privileged mode.
    exporter("containers", MONITORING_IMAGES.cadvisor, {
      command: ["--docker_only=true", "--housekeeping_interval=15s"],
      volumes: [
        { hostPath: "/", containerPath: "/rootfs", readOnly: true },
        { hostPath: "/var/run", containerPath: "/var/run", readOnly: true },
        { hostPath: "/sys", containerPath: "/sys", readOnly: true },
        { hostPath: "/var/lib/docker", containerPath: "/var/lib/docker", readOnly: true },
        { hostPath: "/dev/disk", containerPath: "/dev/disk", readOnly: true },
      ],
      healthcheck: {
        tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"],
        interval: seconds(30),
        timeout: seconds(5),
        retries: 3,
        startPeriod: seconds(20),
      },
    });

    const pg = args.postgres;
    exporter(
      "postgres",
      MONITORING_IMAGES.postgresExporter,
      {
        command: ["--extend.query-path=/etc/postgres_exporter/queries.yaml"],
        envs: [
          pulumi.interpolate`DATA_SOURCE_NAME=postgresql://${userinfo(pg.user, pg.password)}@${pg.host}:${pg.port}/${pg.database}?sslmode=disable`,
        ],
        uploads: [{ file: "/etc/postgres_exporter/queries.yaml", content: queries }],
      },
      [args.dataNetwork],
    );

    const redis = args.redis;
    exporter(
      "redis",
      MONITORING_IMAGES.redisExporter,
      {
        envs: [
          pulumi.interpolate`REDIS_ADDR=redis://${redis.host}:${redis.port}`,
          pulumi.interpolate`REDIS_USER=${redis.user}`,
          pulumi.interpolate`REDIS_PASSWORD=${redis.password}`,
        ],
        // The exporter image has no shell or wget; Docker's own restart covers a crash.
        healthcheck: undefined,
      },
      [args.dataNetwork],
    );

    exporter(
      "nginx",
      MONITORING_IMAGES.nginxExporter,
      {
        command: [`--nginx.scrape-uri=${args.nginxStatusUrl}`],
        // A scratch image: nothing in it could run a health check.
        healthcheck: undefined,
      },
      [args.edgeNetwork],
    );

    // mtail follows the nginx container's json-file log, which Docker rotates itself.
    const mtailImage = new docker.Image(
      `${name}-mtail-image`,
      {
        imageName: MTAIL_IMAGE,
        // Relative to the project, so the state does not depend on where the repo is checked out.
        build: { context: "images/mtail" },
        skipPush: true,
      },
      { parent: this },
    );
    const nginxLog = pulumi.interpolate`/var/lib/docker/containers/${args.nginxContainerId}/${args.nginxContainerId}-json.log`;
    exporter("nginxLog", mtailImage.imageName, {
      command: pulumi
        .output(nginxLog)
        .apply((log) => ["--progs", "/etc/mtail", "--logs", log, "--port", "3903"]),
      uploads: [{ file: "/etc/mtail/nginx.mtail", content: mtailProgram }],
      volumes: [
        {
          hostPath: "/var/lib/docker/containers",
          containerPath: "/var/lib/docker/containers",
          readOnly: true,
        },
      ],
      healthcheck: undefined,
    });

    exporter(
      "blackbox",
      MONITORING_IMAGES.blackboxExporter,
      {
        command: ["--config.file=/etc/blackbox_exporter/config.yml"],
        uploads: [{ file: "/etc/blackbox_exporter/config.yml", content: blackboxYml }],
        healthcheck: {
          tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9115/-/healthy"],
          interval: seconds(30),
          timeout: seconds(5),
          retries: 3,
          startPeriod: seconds(10),
        },
      },
      [args.edgeNetwork],
    );

    this.registerOutputs({
      containers: Object.fromEntries(
        Object.entries(this.containers).map(([key, container]) => [key, container.id]),
      ),
    });
  }
}
