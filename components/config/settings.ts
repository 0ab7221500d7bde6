import { z } from "zod";
import { connectionsNeeded } from "../postgres/connections";
import * as field from "./fields";

/** The types Pulumi.yaml can declare for a project config key. */
export type PulumiType = "string" | "integer" | "boolean" | "array";

/** One config key: the single source for validation, Pulumi.yaml and the README reference. */
export interface Setting<S extends z.ZodType = z.ZodType> {
  type: PulumiType;
  description: string;
  default: z.input<S>;
  schema: S;
  /**
   * Set with `pulumi config set --secret`. Validation reads it as plain text like every key, since
   * an Output cannot be checked before resources exist; the program wraps it in `pulumi.secret`
   * wherever it uses it, so no resource input or stack output holds it in the clear.
   */
  secret?: boolean;
}

function setting<S extends z.ZodType>(spec: Setting<S>): Setting<S> {
  return spec;
}

const optionalSecret = z.string();

// PostgreSQL's own floors: it refuses a smaller work_mem and will not start with less buffers.
const workMem = field.sizeAtLeast("64k", ", the smallest work_mem PostgreSQL accepts");
const sharedBuffers = field.sizeAtLeast(
  "128k",
  ", the smallest shared_buffers PostgreSQL starts with",
);
// Redis takes any positive maxmemory, but with less than a megabyte it evicts almost at once.
const redisMaxMemory = field.sizeAtLeast(
  "1m",
  ": below that Redis evicts nearly every key it is given",
);

/**
 * Every config key of the project, in the order the README lists them. Defaults come from the
 * runbook where it names a figure; the rest are sizes for one 8 GB host.
 */
export const SETTINGS = {
  environment: setting({
    type: "string",
    description: "Which environment this stack is: dev (local Docker engine) or prod.",
    default: "dev",
    schema: z.enum(["dev", "prod"]),
  }),
  domain: setting({
    type: "string",
    description: "Public host name served by nginx and named in its certificate.",
    default: "localhost",
    schema: field.hostname,
  }),
  behindCloudflare: setting({
    type: "boolean",
    description:
      "Restore the client address from CF-Connecting-IP when requests come from Cloudflare.",
    default: false,
    schema: z.boolean(),
  }),
  tlsMode: setting({
    type: "string",
    description:
      "self-signed: the stack makes its own certificate (dev); config: tlsCertificate and tlsPrivateKey.",
    default: "self-signed",
    schema: z.enum(["self-signed", "config"]),
  }),
  tlsCertificate: setting({
    type: "string",
    description: "PEM certificate chain for nginx when tlsMode is config. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  tlsPrivateKey: setting({
    type: "string",
    description: "PEM private key for tlsCertificate. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  denyList: setting({
    type: "array",
    description: "Client IPs and CIDR blocks nginx refuses with 403 (the runbook's blocked IPs).",
    default: [],
    schema: z.array(field.ipOrCidr),
  }),
  rateLimitPerSecond: setting({
    type: "integer",
    description: "Requests per second nginx allows one client address before answering 429.",
    default: 10,
    schema: z.number().int().min(1, "must be at least 1 request per second").max(10000),
  }),
  rateLimitBurst: setting({
    type: "integer",
    description: "Requests above the rate that nginx queues for one client before refusing.",
    default: 20,
    schema: z.number().int().min(0, "must be 0 or more").max(100000),
  }),
  httpPort: setting({
    type: "integer",
    description: "Public port nginx listens on for HTTP; it only redirects to HTTPS.",
    default: 80,
    schema: field.port,
  }),
  httpsPort: setting({
    type: "integer",
    description: "Public port nginx serves HTTPS on.",
    default: 443,
    schema: field.port,
  }),
  nginxStatusPort: setting({
    type: "integer",
    description:
      "Port of nginx's stub_status, published on 127.0.0.1 only, for the metrics exporter.",
    default: 8081,
    schema: field.port,
  }),
  edgeSubnet: setting({
    type: "string",
    description: "Subnet of the app-tier network shared by nginx, the frontend and the backend.",
    default: "172.28.0.0/24",
    schema: field.privateSubnet,
  }),
  dataSubnet: setting({
    type: "string",
    description: "Subnet of the internal data-tier network (Postgres, Redis, backend, exporters).",
    default: "172.28.1.0/24",
    schema: field.privateSubnet,
  }),
  adminSubnet: setting({
    type: "string",
    description: "Subnet of the network that carries Postgres's loopback-only admin port.",
    default: "172.28.2.0/24",
    schema: field.privateSubnet,
  }),
  monitoringSubnet: setting({
    type: "string",
    description: "Subnet of the monitoring network: Prometheus, Alertmanager and the exporters.",
    default: "172.28.3.0/24",
    schema: field.privateSubnet,
  }),
  prometheusRetention: setting({
    type: "string",
    description:
      "How long Prometheus keeps samples, e.g. 15d or 8w; at least 8d, for the week-ago comparisons.",
    default: "15d",
    schema: field.prometheusRetention,
  }),
  prometheusMemory: setting({
    type: "string",
    description: "Memory limit of the Prometheus container.",
    default: "1g",
    schema: field.containerMemory,
  }),
  alertmanagerMemory: setting({
    type: "string",
    description: "Memory limit of the Alertmanager container.",
    default: "256m",
    schema: field.containerMemory,
  }),
  slackWebhookUrl: setting({
    type: "string",
    description:
      "Slack incoming-webhook URL Alertmanager posts to; required in prod. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  pagerdutyRoutingKey: setting({
    type: "string",
    description:
      "Events API v2 routing key of PagerDuty service waste-mgmt-production; required in prod. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  deadMansSwitchUrl: setting({
    type: "string",
    description:
      "Ping URL of a heartbeat check (healthchecks.io, Dead Man's Snitch) that pages when the always-firing Watchdog stops arriving; required in prod. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  runbookUrl: setting({
    type: "string",
    description:
      "URL of docs/runbook.md as people open it; every alert links to its section. In prod an absolute https:// URL.",
    default: "docs/runbook.md",
    schema: z.string().min(1, "must not be empty"),
  }),
  grafanaMemory: setting({
    type: "string",
    description: "Memory limit of the Grafana container.",
    default: "512m",
    schema: field.containerMemory,
  }),
  grafanaAdminPassword: setting({
    type: "string",
    description:
      "Password of Grafana's admin user; empty means one is generated. Read only when Grafana's volume is new. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  grafanaCloudUrl: setting({
    type: "string",
    description:
      "URL of a Grafana Cloud stack (https://<stack>.grafana.net) to manage instead of running Grafana; empty runs Grafana on the host.",
    default: "",
    schema: z.string(),
  }),
  grafanaCloudToken: setting({
    type: "string",
    description:
      "Service-account token of the Grafana Cloud stack in grafanaCloudUrl, with the Admin role: creating the datasource needs it (or a custom role with datasources:create, datasources:write and datasources:read besides folders and dashboards). Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  grafanaCloudPrometheusUrl: setting({
    type: "string",
    description:
      "Query URL of the Grafana Cloud stack's hosted Prometheus (https://prometheus-prod-<n>-<region>.grafana.net/api/prom); the local Prometheus remote-writes to its /push and the Cloud datasource reads it.",
    default: "",
    schema: z.string(),
  }),
  grafanaCloudPrometheusUser: setting({
    type: "string",
    description:
      "Instance ID of the hosted Prometheus in grafanaCloudPrometheusUrl: the basic-auth user for writing and reading.",
    default: "",
    schema: z.string(),
  }),
  grafanaCloudPrometheusToken: setting({
    type: "string",
    description:
      "Cloud Access Policy token for grafanaCloudPrometheusUser, with the metrics:write and metrics:read scopes. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  postgresImage: setting({
    type: "string",
    description: "PostgreSQL with PostGIS image repository.",
    default: "postgis/postgis",
    schema: field.imageRepository,
  }),
  postgresTag: setting({
    type: "string",
    description: "PostgreSQL image tag (major version 15) or sha256 digest.",
    default: "15-3.4",
    schema: field.imageTag,
  }),
  postgresMemory: setting({
    type: "string",
    description: "Memory limit of the Postgres container.",
    default: "2g",
    schema: field.containerMemory,
  }),
  postgresSharedBuffers: setting({
    type: "string",
    description: "PostgreSQL shared_buffers; keep it near a quarter of postgresMemory.",
    default: "512m",
    schema: sharedBuffers,
  }),
  postgresWorkMem: setting({
    type: "string",
    description: "PostgreSQL work_mem, per sort or hash in each query.",
    default: "8m",
    schema: workMem,
  }),
  postgresMaxConnections: setting({
    type: "integer",
    description: `PostgreSQL max_connections; must cover every role's connection limit and the superuser slots: backendDbPoolMax + ${connectionsNeeded(0)}.`,
    default: 100,
    schema: z.number().int().min(10, "must be at least 10").max(5000, "must be at most 5000"),
  }),
  postgresAdminPort: setting({
    type: "integer",
    description:
      "Port on 127.0.0.1 of the Docker host where Postgres is published for the provider.",
    default: 5432,
    schema: field.port,
  }),
  postgresPassword: setting({
    type: "string",
    description:
      "Superuser password; empty means one is generated and kept in state. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  redisImage: setting({
    type: "string",
    description: "Redis image repository.",
    default: "redis",
    schema: field.imageRepository,
  }),
  redisTag: setting({
    type: "string",
    description: "Redis image tag (major version 7) or sha256 digest.",
    default: "7.2-alpine",
    schema: field.imageTag,
  }),
  redisMemory: setting({
    type: "string",
    description: "Memory limit of the Redis container; must exceed redisMaxMemory.",
    default: "512m",
    schema: field.containerMemory,
  }),
  redisMaxMemory: setting({
    type: "string",
    description: "Redis maxmemory, the data size at which the eviction policy applies.",
    default: "256m",
    schema: redisMaxMemory,
  }),
  redisEvictionPolicy: setting({
    type: "string",
    description: "Redis maxmemory-policy.",
    default: "allkeys-lru",
    schema: z.enum([
      "noeviction",
      "allkeys-lru",
      "allkeys-lfu",
      "allkeys-random",
      "volatile-lru",
      "volatile-lfu",
      "volatile-random",
      "volatile-ttl",
    ]),
  }),
  redisPassword: setting({
    type: "string",
    description: "Password of the Redis app user; empty means one is generated. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  backendImage: setting({
    type: "string",
    description: "Backend API image repository.",
    default: "ghcr.io/waste-management/backend",
    schema: field.imageRepository,
  }),
  backendTag: setting({
    type: "string",
    description: "Backend API image tag or sha256 digest.",
    default: "1.0.0",
    schema: field.imageTag,
  }),
  backendMemory: setting({
    type: "string",
    description: "Memory limit of the backend container.",
    default: "1g",
    schema: field.containerMemory,
  }),
  backendDbPoolMax: setting({
    type: "integer",
    description: "DB_POOL_MAX of the backend; the runbook raises it when the pool is exhausted.",
    default: 20,
    schema: z.number().int().min(1, "must be at least 1").max(1000, "must be at most 1000"),
  }),
  frontendImage: setting({
    type: "string",
    description: "Frontend image repository.",
    default: "ghcr.io/waste-management/frontend",
    schema: field.imageRepository,
  }),
  frontendTag: setting({
    type: "string",
    description: "Frontend image tag or sha256 digest.",
    default: "1.0.0",
    schema: field.imageTag,
  }),
  frontendMemory: setting({
    type: "string",
    description: "Memory limit of the frontend container.",
    default: "512m",
    schema: field.containerMemory,
  }),
  nginxImage: setting({
    type: "string",
    description: "nginx image repository.",
    default: "nginx",
    schema: field.imageRepository,
  }),
  nginxTag: setting({
    type: "string",
    description: "nginx image tag or sha256 digest.",
    default: "1.27-alpine",
    schema: field.imageTag,
  }),
  nginxMemory: setting({
    type: "string",
    description: "Memory limit of the nginx container.",
    default: "256m",
    schema: field.containerMemory,
  }),
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

export type SettingName = keyof typeof SETTINGS;

/** The validated values of every setting, before any cross-key derivation. */
export type SettingValues = {
  [K in SettingName]: z.output<(typeof SETTINGS)[K]["schema"]>;
};
