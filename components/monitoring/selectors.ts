import { HealthCheckName } from "./contract";

/** Scrape job names: the `job` label every series carries, and the selectors rules start from. */
export const JOBS = {
  prometheus: "prometheus",
  alertmanager: "alertmanager",
  node: "node",
  containers: "cadvisor",
  postgres: "postgres",
  redis: "redis",
  nginx: "nginx",
  nginxLog: "nginx-log",
  backend: "backend",
  probes: "blackbox",
  tls: "blackbox-tls",
} as const;

/** The `probe` label of each health-check probe. */
export const PROBES: Record<HealthCheckName, string> = {
  backendHealth: "backend-health",
  backendDatabase: "backend-database",
  backendRedis: "backend-redis",
  backendExternal: "backend-external-services",
  frontendHealth: "frontend-health",
};

/**
 * The public HTTPS endpoint (verified in prod) and the certificate nginx serves (read without
 * verification, so that an expired certificate still reports its expiry).
 */
export const TLS_PROBES = { endpoint: "public-https", certificate: "origin-certificate" } as const;

/** A label matcher list rendered the PromQL way: `{job="x",probe="y"}`. */
export function sel(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return `{${parts.join(",")}}`;
}

export const PROBE_OF = (check: HealthCheckName) => sel({ job: JOBS.probes, probe: PROBES[check] });

/** The root filesystem of the host, where Docker keeps volumes and images. */
export const ROOT_FILESYSTEM = sel({ job: JOBS.node, mountpoint: "/" });

/** Equality matchers followed by alternatives: `{job="x",type=~"a|b"}`. */
export function selAnyOf(
  labels: Record<string, string>,
  alternatives: Record<string, readonly string[]>,
): string {
  const equal = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const either = Object.entries(alternatives).map(
    ([key, values]) => `${key}=~"${values.join("|")}"`,
  );
  return `{${[...equal, ...either].join(",")}}`;
}

/** The pgBackRest backup types the backup jobs label their metrics with. */
export type BackupType = "full" | "incr";

/** Every metric the backup jobs write, served by node-exporter's textfile collector. */
export const BACKUP_METRICS = sel({ job: JOBS.node });

/** The backup jobs' metrics of one type, or of several: a full holds what an incremental would. */
export function backupsOf(...types: BackupType[]): string {
  return types.length === 1
    ? sel({ job: JOBS.node, type: types[0] })
    : selAnyOf({ job: JOBS.node }, { type: types });
}
