import { requireBinary, ServerProcess, startServer } from "./processes";

const PROMETHEUS = "/usr/bin/prometheus";
const ALERTMANAGER = "/usr/bin/prometheus-alertmanager";
const BLACKBOX = "/usr/bin/prometheus-blackbox-exporter";
const POSTGRES_EXPORTER = "/usr/bin/prometheus-postgres-exporter";
const REDIS_EXPORTER = "/usr/bin/prometheus-redis-exporter";

/** Fails with the Debian package to install when one of the servers below is missing. */
export function requireMonitoringServers(): void {
  for (const [binary, pkg] of [
    [PROMETHEUS, "prometheus"],
    [ALERTMANAGER, "prometheus-alertmanager"],
    [BLACKBOX, "prometheus-blackbox-exporter"],
    [POSTGRES_EXPORTER, "prometheus-postgres-exporter"],
    [REDIS_EXPORTER, "prometheus-redis-exporter"],
  ]) {
    requireBinary(binary, pkg);
  }
}

/** True once `url` answers 200 with a body that holds `text`. */
async function answers(url: string, text: string | RegExp): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = await response.text();
  return response.ok && (typeof text === "string" ? body.includes(text) : text.test(body));
}

/** Debian's postgres_exporter with the rendered queries file, reading the database at `dsn`. */
export function startPostgresExporter(
  queries: string,
  address: string,
  dsn: string,
): Promise<ServerProcess> {
  return startServer(
    POSTGRES_EXPORTER,
    [`--extend.query-path=${queries}`, `--web.listen-address=${address}`],
    {
      name: "postgres_exporter",
      env: { DATA_SOURCE_NAME: dsn },
      ready: () => answers(`http://${address}/metrics`, "\npg_up 1"),
    },
  );
}

/** Debian's redis_exporter logged in to the Redis on `redisPort` as `user`. */
export function startRedisExporter(
  address: string,
  redisPort: number,
  user: string,
  password: string,
): Promise<ServerProcess> {
  return startServer(REDIS_EXPORTER, [`-web.listen-address=${address}`], {
    name: "redis_exporter",
    env: {
      REDIS_ADDR: `redis://127.0.0.1:${redisPort}`,
      REDIS_USER: user,
      REDIS_PASSWORD: password,
    },
    ready: () => answers(`http://${address}/metrics`, "\nredis_up 1"),
  });
}

/** Debian's blackbox exporter with the rendered modules. */
export function startBlackboxExporter(config: string, address: string): Promise<ServerProcess> {
  return startServer(BLACKBOX, [`--config.file=${config}`, `--web.listen-address=${address}`], {
    name: "blackbox_exporter",
    ready: () => answers(`http://${address}/metrics`, "blackbox_exporter"),
  });
}

/** Debian's Alertmanager with clustering off (an empty cluster address), its state in `storage`. */
export function startAlertmanager(
  config: string,
  storage: string,
  address: string,
): Promise<ServerProcess> {
  return startServer(
    ALERTMANAGER,
    [
      `--config.file=${config}`,
      `--storage.path=${storage}`,
      `--web.listen-address=${address}`,
      "--cluster.listen-address=",
    ],
    {
      name: "Alertmanager",
      ready: () => answers(`http://${address}/-/ready`, /OK/),
    },
  );
}

/** Debian's Prometheus, keeping its samples under `storage`. */
export function startPrometheus(
  config: string,
  storage: string,
  address: string,
): Promise<ServerProcess> {
  return startServer(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${storage}`,
      `--web.listen-address=${address}`,
    ],
    {
      name: "Prometheus",
      ready: () => answers(`http://${address}/-/ready`, /Ready/),
      timeoutMs: 30000,
    },
  );
}
