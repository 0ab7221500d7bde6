import * as pulumi from "@pulumi/pulumi";
import { BACKEND, backendArgs, FRONTEND, frontendArgs } from "./components/app/services";
import { WebService } from "./components/app/web-service";
import { POSTGRES_CONTAINER } from "./components/backup/layout";
import { BackupRepository } from "./components/backup/repository";
import { BackupScheduler } from "./components/backup/scheduler";
import { hostedPrometheusUrls } from "./components/config/grafana-cloud";
import { loadSettings } from "./components/config/load";
import { sizeBytes, toMegabytes } from "./components/config/sizes";
import { StackNetworks } from "./components/network";
import { CLOUDFLARE_RANGES } from "./components/nginx/cloudflare";
import { GrafanaDashboards } from "./components/grafana/dashboards";
import { GrafanaServer } from "./components/grafana/server";
import { GRAFANA_LOCAL_URL, PROMETHEUS_URL } from "./components/grafana/settings";
import { Alerting } from "./components/monitoring/alerting";
import { Exporters } from "./components/monitoring/exporters";
import { address, MONITORING_ENDPOINTS } from "./components/monitoring/ports";
import { EdgeProxy } from "./components/nginx/proxy";
import { DOCKER_EMBEDDED_DNS, NGINX_CONTAINER_PORTS } from "./components/nginx/settings";
import { DATABASE_NAME, DatabaseAccess, ROLES } from "./components/postgres/access";
import { PostgresServer } from "./components/postgres/server";
import { RedisServer } from "./components/redis/server";
import { renderedFiles } from "./components/rendered-files";

// Every key is checked before any resource exists; a bad stack fails here with all its problems.
const settings = loadSettings();
const megabytes = (size: string) => toMegabytes(sizeBytes(size));
const bytes = sizeBytes;
const isProd = settings.environment === "prod";

const networks = new StackNetworks("net", {
  edgeSubnet: settings.edgeSubnet,
  dataSubnet: settings.dataSubnet,
  adminSubnet: settings.adminSubnet,
  monitoringSubnet: settings.monitoringSubnet,
});

const backupRepository = new BackupRepository("backup", {
  postgresImage: settings.postgresImage,
  postgresTag: settings.postgresTag,
  placement: isProd
    ? {
        type: "s3",
        bucket: settings.backupBucket,
        region: new pulumi.Config("aws").require("region"),
        glacierAfterDays: settings.backupGlacierAfterDays,
        noncurrentExpiryDays: settings.backupNoncurrentExpiryDays,
      }
    : { type: "posix" },
  retentionDays: settings.backupRetentionDays,
  processMax: settings.backupProcessMax,
  cipherPass: settings.backupCipherPass,
  protectData: isProd,
});

const postgres = new PostgresServer(POSTGRES_CONTAINER, {
  // The build's image ID, not its constant tag, so that a rebuild replaces the container.
  image: backupRepository.image.repoDigest,
  archiving: {
    config: backupRepository.config,
    secretEnvs: backupRepository.secretEnvs,
    mounts: backupRepository.mounts,
  },
  memoryMb: megabytes(settings.postgresMemory),
  sharedBuffersBytes: bytes(settings.postgresSharedBuffers),
  workMemBytes: bytes(settings.postgresWorkMem),
  maxConnections: settings.postgresMaxConnections,
  superuserPassword: settings.postgresPassword,
  dataNetwork: networks.data,
  dataSubnet: settings.dataSubnet,
  adminNetwork: networks.admin,
  adminSubnet: settings.adminSubnet,
  adminPort: settings.postgresAdminPort,
  protectData: isProd,
});

const access = new DatabaseAccess("database", {
  adminEndpoint: postgres.adminEndpoint,
  superuserPassword: postgres.superuserPassword,
  appPoolMax: settings.backendDbPoolMax,
  dependsOn: [postgres.container],
});

const redis = new RedisServer("redis", {
  image: settings.redisImage,
  tag: settings.redisTag,
  memoryMb: megabytes(settings.redisMemory),
  maxMemoryBytes: bytes(settings.redisMaxMemory),
  evictionPolicy: settings.redisEvictionPolicy,
  appPassword: settings.redisPassword,
  dataNetwork: networks.data,
  protectData: isProd,
});

const BACKEND_NAME = "backend";
const FRONTEND_NAME = "frontend";
const backend = new WebService(
  BACKEND_NAME,
  backendArgs({
    image: settings.backendImage,
    tag: settings.backendTag,
    memoryMb: megabytes(settings.backendMemory),
    dbPoolMax: settings.backendDbPoolMax,
    database: { host: postgres.host, port: postgres.port, name: DATABASE_NAME },
    databaseUser: ROLES.app,
    databasePassword: access.appPassword,
    redis: { host: redis.host, port: redis.port },
    redisUser: redis.appUser,
    redisPassword: redis.appPassword,
    edgeNetwork: networks.edge,
    dataNetwork: networks.data,
  }),
  { dependsOn: [access, redis] },
);

const publicUrl =
  settings.httpsPort === 443
    ? `https://${settings.domain}`
    : `https://${settings.domain}:${settings.httpsPort}`;
const frontend = new WebService(
  FRONTEND_NAME,
  frontendArgs({
    image: settings.frontendImage,
    tag: settings.frontendTag,
    memoryMb: megabytes(settings.frontendMemory),
    publicUrl,
    backendHost: backend.host,
    edgeNetwork: networks.edge,
  }),
  { dependsOn: [backend] },
);

const NGINX_NAME = "nginx";
const nginx = new EdgeProxy(NGINX_NAME, {
  image: settings.nginxImage,
  tag: settings.nginxTag,
  memoryMb: megabytes(settings.nginxMemory),
  settings: {
    serverName: settings.domain,
    backendUpstream: `${BACKEND_NAME}:${BACKEND.port}`,
    frontendUpstream: `${FRONTEND_NAME}:${FRONTEND.port}`,
    resolver: DOCKER_EMBEDDED_DNS,
    publicHttpsPort: settings.httpsPort,
    denyList: settings.denyList,
    trustedProxies: settings.behindCloudflare ? CLOUDFLARE_RANGES : [],
    rateLimitPerSecond: settings.rateLimitPerSecond,
    rateLimitBurst: settings.rateLimitBurst,
    // Docker's proxy for the loopback-published status port connects from the edge gateway.
    statusAllowFrom: [settings.edgeSubnet],
  },
  tls:
    settings.tlsMode === "self-signed"
      ? { mode: "self-signed", domain: settings.domain }
      : {
          mode: "config",
          certificatePem: settings.tlsCertificate,
          privateKeyPem: settings.tlsPrivateKey,
        },
  httpPort: settings.httpPort,
  httpsPort: settings.httpsPort,
  statusPort: settings.nginxStatusPort,
  edgeNetwork: networks.edge,
  upstreams: [backend.container, frontend.container],
});

const exporters = new Exporters("exporters", {
  blackbox: { serverName: settings.domain, verifyPublicCertificate: isProd },
  postgres: {
    host: postgres.host,
    port: postgres.port,
    database: DATABASE_NAME,
    user: ROLES.monitoring,
    password: access.monitoringPassword,
  },
  redis: {
    host: redis.host,
    port: redis.port,
    user: redis.monitoringUser,
    password: redis.monitoringPassword,
  },
  nginxStatusUrl: `http://${NGINX_NAME}:${NGINX_CONTAINER_PORTS.status}/nginx_status`,
  nginxContainerId: nginx.container.id,
  monitoringNetwork: networks.monitoring,
  dataNetwork: networks.data,
  edgeNetwork: networks.edge,
  backupMetricsVolume: backupRepository.metricsVolume,
});

// A Grafana Cloud stack cannot reach the host's Prometheus: Prometheus pushes every sample to the
// stack's hosted Prometheus, which the Cloud datasource reads.
const grafanaCloud =
  settings.grafanaCloudUrl === ""
    ? undefined
    : {
        prometheus: hostedPrometheusUrls(settings.grafanaCloudPrometheusUrl),
        user: settings.grafanaCloudPrometheusUser,
        token: pulumi.secret(settings.grafanaCloudPrometheusToken),
      };

// In prod the probe goes through Cloudflare like a customer; dev has no public name to call.
const origin = `https://${NGINX_NAME}:${NGINX_CONTAINER_PORTS.https}/`;
const alerting = new Alerting(
  "alerting",
  {
    prometheus: {
      environment: settings.environment,
      targets: {
        prometheus: `localhost:${MONITORING_ENDPOINTS.prometheus.port}`,
        alertmanager: address("alertmanager"),
        node: address("node"),
        containers: address("containers"),
        postgres: address("postgres"),
        redis: address("redis"),
        nginx: address("nginx"),
        nginxLog: address("nginxLog"),
        blackbox: address("blackbox"),
        backendUrl: `http://${BACKEND_NAME}:${BACKEND.port}`,
        frontendUrl: `http://${FRONTEND_NAME}:${FRONTEND.port}`,
        publicUrl: isProd ? `${publicUrl}/` : origin,
        originUrl: origin,
      },
    },
    ...(grafanaCloud && {
      remoteWrite: {
        url: grafanaCloud.prometheus.push,
        username: grafanaCloud.user,
        password: grafanaCloud.token,
      },
    }),
    poolMax: settings.backendDbPoolMax,
    runbookUrl: settings.runbookUrl,
    retention: settings.prometheusRetention,
    prometheusMemoryMb: megabytes(settings.prometheusMemory),
    alertmanagerMemoryMb: megabytes(settings.alertmanagerMemory),
    receivers: {
      slackWebhookUrl: settings.slackWebhookUrl,
      pagerdutyRoutingKey: settings.pagerdutyRoutingKey,
      deadMansSwitchUrl: settings.deadMansSwitchUrl,
    },
    monitoringNetwork: networks.monitoring,
    scrapeNetworks: [networks.edge],
    protectData: isProd,
  },
  { dependsOn: Object.values(exporters.containers) },
);

// With a Grafana Cloud stack configured, the stack runs no Grafana and manages the Cloud one.
const grafanaServer =
  grafanaCloud === undefined
    ? new GrafanaServer("grafana", {
        memoryMb: megabytes(settings.grafanaMemory),
        adminPassword: settings.grafanaAdminPassword,
        monitoringNetwork: networks.monitoring,
        protectData: isProd,
      })
    : undefined;
new GrafanaDashboards(
  "dashboards",
  {
    endpoint: grafanaServer?.endpoint ?? {
      url: settings.grafanaCloudUrl,
      auth: pulumi.secret(settings.grafanaCloudToken),
    },
    prometheus: grafanaCloud
      ? {
          url: grafanaCloud.prometheus.query,
          basicAuth: { username: grafanaCloud.user, password: grafanaCloud.token },
          isDefault: false,
        }
      : { url: PROMETHEUS_URL, isDefault: true },
    dashboards: { poolMax: settings.backendDbPoolMax },
    dependsOn: grafanaServer ? [grafanaServer.container] : [],
  },
  { dependsOn: [alerting] },
);

// Created last, so that every rendered file is archived by the weekly system backup.
new BackupScheduler(
  "backup",
  {
    repository: backupRepository,
    schedules: {
      full: settings.backupFullSchedule,
      incremental: settings.backupIncrementalSchedule,
      system: settings.systemBackupSchedule,
      redis: settings.redisSnapshotSchedule,
    },
    database: DATABASE_NAME,
    manifestTables: settings.backupManifestTables,
    postgresData: postgres.volume,
    redis: {
      host: redis.host,
      port: redis.port,
      user: redis.backupUser,
      password: redis.backupPassword,
      data: redis.volume,
    },
    systemVolumes: {
      prometheus: alerting.prometheusData.name,
      alertmanager: alerting.alertmanagerData.name,
      ...(grafanaServer ? { grafana: grafanaServer.volume.name } : {}),
    },
    renderedFiles: renderedFiles(),
    dataNetwork: networks.data,
    memoryMb: 512,
  },
  { dependsOn: [postgres, redis, alerting] },
);

/** Where people and tools reach the stack; none of these values is a secret. */
export const url = publicUrl;
export const databaseName = access.database.name;
export const databaseRoles = ROLES;
export const localEndpoints = {
  backend: `http://127.0.0.1:${BACKEND.port}`,
  frontend: `http://127.0.0.1:${FRONTEND.port}`,
  postgres: postgres.adminEndpoint,
  nginxStatus: `http://127.0.0.1:${settings.nginxStatusPort}/nginx_status`,
  prometheus: `http://127.0.0.1:${MONITORING_ENDPOINTS.prometheus.port}`,
  alertmanager: `http://127.0.0.1:${MONITORING_ENDPOINTS.alertmanager.port}`,
  grafana: settings.grafanaCloudUrl === "" ? GRAFANA_LOCAL_URL : settings.grafanaCloudUrl,
};
