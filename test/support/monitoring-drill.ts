import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ALERTMANAGER_SECRETS_DIR,
  SECRET_FILES,
} from "../../components/monitoring/alertmanager-config";
import { MONITORING_ENDPOINTS } from "../../components/monitoring/ports";
import { NGINX_CONTAINER_PORTS } from "../../components/nginx/settings";
import { DATABASE_NAME, ROLES } from "../../components/postgres/access";
import { renderPostgresHba } from "../../components/postgres/settings";
import {
  REDIS_APP_USER,
  REDIS_MONITORING_USER,
  renderRedisAcl,
} from "../../components/redis/settings";
import { adaptPrometheusConfig } from "./adapted-prometheus-config";
import { alertmanagerHolds, hasSample } from "./alert-polling";
import { BackendStandIn } from "./backend-stand-in";
import { HeartbeatStandIn, Ping } from "./heartbeat-stand-in";
import { NginxStub, startNginxExporter, startNginxStub, startNodeExporter } from "./host-exporters";
import {
  requireMonitoringServers,
  startAlertmanager,
  startBlackboxExporter,
  startPostgresExporter,
  startPrometheus,
  startRedisExporter,
} from "./monitoring-servers";
import { MtailServer, startMtail } from "./mtail-server";
import { ok, PostgresCluster } from "./postgres-cluster";
import { freePort, ServerProcess, tempDir, waitFor } from "./processes";
import { readRendered } from "./rendered";
import { redisCli, startRedis, writeRedisFiles } from "./redis-server";

/** The outages the drill stages: the runbook's budgeted emergencies that stop a server. */
export type DrillAlert = "BackendDown" | "RedisDown" | "PostgresDown";

export const DRILL_ALERTS: DrillAlert[] = ["BackendDown", "RedisDown", "PostgresDown"];

/** The secret keys the drill's render sets, which the dev stack file leaves empty. */
export const DRILL_SECRETS = ["deadMansSwitchUrl"];

/** The exporters and servers the drill runs whose /metrics the catalogue is checked against. */
export type DrillMetricsEndpoint =
  "prometheus" | "alertmanager" | "blackbox" | "postgres" | "redis" | "node" | "nginx" | "mtail";

interface Target {
  /** PromQL that returns a sample once Prometheus has seen the service healthy. */
  healthy: string;
  stop: () => Promise<void>;
  restore: () => Promise<void>;
}

/**
 * The monitoring path of the dev stack on loopback: PostgreSQL and Redis with their rendered
 * settings, postgres_exporter, redis_exporter, the blackbox exporter, node_exporter and the nginx
 * exporter on a minimal nginx (stub_status and a TLS port to probe), Prometheus with the
 * rendered scrape configuration and rules, Alertmanager with the rendered routes, and stand-ins
 * for the backend and for the heartbeat check outside the host. Only addresses, ports and
 * directories differ from the stack. `rendered` is the dev stack rendered with deadMansSwitchUrl
 * set (see DRILL_SECRETS), so that the Watchdog's receiver has its integration.
 */
export class MonitoringDrill {
  private readonly processes: ServerProcess[] = [];
  private readonly cleanups: (() => void)[] = [];
  private readonly targets = new Map<DrillAlert, Target>();
  private postgres: PostgresCluster | undefined;
  private redis: ServerProcess | undefined;
  private backend: BackendStandIn | undefined;
  private heartbeat: HeartbeatStandIn | undefined;
  private dir = "";
  private prometheusUrl = "";
  private alertmanagerUrl = "";
  private nginxStub: NginxStub | undefined;
  private mtail: MtailServer | undefined;
  private redisPort = 0;
  private redisAppPassword = "";
  /** `host:port` of each process whose /metrics the drill serves. */
  readonly endpoints = {} as Record<DrillMetricsEndpoint, string>;

  /** Starts every process; on failure, stops what was started before raising. */
  static async start(rendered: string): Promise<MonitoringDrill> {
    const drill = new MonitoringDrill();
    try {
      await drill.startAll(rendered);
    } catch (error) {
      await drill.stop();
      throw error;
    }
    return drill;
  }

  private async startAll(rendered: string): Promise<void> {
    requireMonitoringServers();
    this.dir = tempDir("monitoring-drill");
    const file = (name: string, text: string) => {
      const target = path.join(this.dir, name);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text);
      return target;
    };
    const monitoringPassword = randomBytes(18).toString("hex");

    // PostgreSQL with the monitoring role and extension the stack's provider declares.
    this.postgres = await PostgresCluster.create("drill-postgres");
    const postgres = this.postgres;
    await postgres.start(
      readRendered(rendered, "postgres/postgresql.conf"),
      renderPostgresHba({ allowedSubnets: ["127.0.0.1/32"] }),
    );
    ok(
      await postgres.superuser(
        "postgres",
        `CREATE ROLE ${ROLES.monitoring} LOGIN PASSWORD '${monitoringPassword}' IN ROLE pg_monitor;
         CREATE DATABASE ${DATABASE_NAME};`,
      ),
      "creating the monitoring role",
    );
    ok(
      await postgres.superuser(
        DATABASE_NAME,
        "CREATE EXTENSION pg_stat_statements; CREATE EXTENSION postgis;",
      ),
      "creating pg_stat_statements and PostGIS",
    );

    // Redis with the rendered settings and ACL; only the exporter's user matters here.
    const redisDir = tempDir("drill-redis");
    this.cleanups.push(() => fs.rmSync(redisDir, { recursive: true, force: true }));
    const redisPort = await freePort();
    this.redisPort = redisPort;
    this.redisAppPassword = randomBytes(18).toString("hex");
    writeRedisFiles(
      redisDir,
      readRendered(rendered, "redis/redis.conf"),
      renderRedisAcl({ appPassword: this.redisAppPassword, monitoringPassword }),
    );
    const startRedisHere = async () => {
      this.redis = await startRedis(redisDir, redisPort);
    };
    await startRedisHere();

    // The heartbeat check outside the host; its ping URL is the one secret file the drill writes.
    this.heartbeat = new HeartbeatStandIn();
    await this.heartbeat.start();
    const secretsDir = path.join(this.dir, "alertmanager-secrets");
    file(path.join("alertmanager-secrets", SECRET_FILES.deadMansSwitch), this.heartbeat.url);
    const alertmanagerYml = readRendered(rendered, "monitoring/alertmanager.yml");
    assert.match(
      alertmanagerYml,
      new RegExp(`${ALERTMANAGER_SECRETS_DIR}/${SECRET_FILES.deadMansSwitch}`),
      "the drill needs a render with deadMansSwitchUrl set",
    );

    this.backend = new BackendStandIn(await freePort());
    const backend = this.backend;
    await backend.start();

    const ports = {
      prometheus: await freePort(),
      alertmanager: await freePort(),
      blackbox: await freePort(),
      postgres: await freePort(),
      redis: await freePort(),
      node: await freePort(),
      nginx: await freePort(),
    };
    const loopback = (port: number) => `127.0.0.1:${port}`;

    this.processes.push(
      await startPostgresExporter(
        file(
          "postgres-exporter-queries.yaml",
          readRendered(rendered, "monitoring/postgres-exporter-queries.yaml"),
        ),
        loopback(ports.postgres),
        `postgresql://${ROLES.monitoring}:${monitoringPassword}@127.0.0.1:${postgres.port}/${DATABASE_NAME}?sslmode=disable`,
      ),
      await startRedisExporter(
        loopback(ports.redis),
        redisPort,
        REDIS_MONITORING_USER,
        monitoringPassword,
      ),
      await startBlackboxExporter(
        file("blackbox.yml", readRendered(rendered, "monitoring/blackbox.yml")),
        loopback(ports.blackbox),
      ),
      await startAlertmanager(
        file("alertmanager.yml", alertmanagerYml.replaceAll(ALERTMANAGER_SECRETS_DIR, secretsDir)),
        path.join(this.dir, "alertmanager"),
        loopback(ports.alertmanager),
      ),
    );

    // The host's exporter, and nginx's on a real stub_status; the TLS port is there to be probed.
    this.nginxStub = await startNginxStub(this.dir);
    this.processes.push(
      this.nginxStub.process,
      await startNodeExporter(loopback(ports.node)),
      await startNginxExporter(this.nginxStub.statusUrl, loopback(ports.nginx)),
    );
    // mtail reads an access log the drill writes, in the form Docker keeps nginx's.
    this.mtail = await startMtail(this.dir, readRendered(rendered, "monitoring/nginx.mtail"));
    this.processes.push(this.mtail.process);
    for (const name of Object.keys(ports) as (keyof typeof ports)[]) {
      this.endpoints[name] = loopback(ports[name]);
    }
    this.endpoints.mtail = this.mtail.address;

    const rulesDir = path.join(this.dir, "rules");
    fs.mkdirSync(rulesDir);
    for (const rule of fs.readdirSync(path.join(rendered, "monitoring", "rules"))) {
      fs.copyFileSync(path.join(rendered, "monitoring", "rules", rule), path.join(rulesDir, rule));
    }
    const endpoint = (name: keyof typeof MONITORING_ENDPOINTS) =>
      `${MONITORING_ENDPOINTS[name].name}:${MONITORING_ENDPOINTS[name].port}`;
    const prometheusConfig = adaptPrometheusConfig(
      readRendered(rendered, "monitoring/prometheus.yml"),
      {
        [`localhost:${MONITORING_ENDPOINTS.prometheus.port}`]: loopback(ports.prometheus),
        [endpoint("alertmanager")]: loopback(ports.alertmanager),
        [endpoint("blackbox")]: loopback(ports.blackbox),
        [endpoint("postgres")]: loopback(ports.postgres),
        [endpoint("redis")]: loopback(ports.redis),
        [endpoint("node")]: loopback(ports.node),
        [endpoint("nginx")]: loopback(ports.nginx),
        [endpoint("nginxLog")]: this.mtail.address,
        // The certificate probes read the stub's TLS listener in place of nginx's.
        [`nginx:${NGINX_CONTAINER_PORTS.https}`]: this.nginxStub.tlsAddress,
        "backend:3001": backend.address,
      },
      loopback(await freePort()),
      rulesDir,
    );
    this.processes.push(
      await startPrometheus(
        file("prometheus.yml", prometheusConfig),
        path.join(this.dir, "prometheus"),
        loopback(ports.prometheus),
      ),
    );
    this.prometheusUrl = `http://${loopback(ports.prometheus)}`;
    this.alertmanagerUrl = `http://${loopback(ports.alertmanager)}`;
    this.targets.set("BackendDown", {
      healthy: 'probe_success{job="blackbox",probe="backend-health"} == 1',
      stop: () => backend.stop(),
      restore: () => backend.start(),
    });
    this.targets.set("RedisDown", {
      healthy: 'redis_up{job="redis"} == 1',
      stop: async () => this.redis?.stop("SIGTERM"),
      restore: startRedisHere,
    });
    this.targets.set("PostgresDown", {
      healthy: 'pg_up{job="postgres"} == 1',
      stop: () => postgres.stop(),
      restore: () => postgres.restart(),
    });
  }

  /** The requests the heartbeat check has received so far, oldest first. */
  get pings(): readonly Ping[] {
    assert.ok(this.heartbeat, "the drill is not running");
    return this.heartbeat.pings;
  }

  /** The URL of the drill's Prometheus, for instant queries. */
  get prometheus(): string {
    return this.prometheusUrl;
  }

  /** `host:port` of the backend stand-in and of the nginx stub's TLS listener, to probe. */
  get probeTargets(): { backend: string; tls: string } {
    assert.ok(this.backend && this.nginxStub, "the drill is not running");
    return { backend: this.backend.address, tls: this.nginxStub.tlsAddress };
  }

  /** Runs SQL as the superuser in the application's database, as the backend's work would. */
  async sql(statements: string): Promise<string> {
    assert.ok(this.postgres, "the drill is not running");
    return ok(await this.postgres.superuser(DATABASE_NAME, statements), statements);
  }

  /** Runs one Redis command as the backend's user; returns its reply. */
  async redisAsApp(args: string[]): Promise<string> {
    assert.ok(this.redisPort, "the drill is not running");
    const login = { user: REDIS_APP_USER, password: this.redisAppPassword };
    const result = await redisCli(this.redisPort, login, args);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.trim();
  }

  /** Appends access-log lines with these statuses for mtail to count. */
  accessLog(statuses: number[]): void {
    assert.ok(this.mtail, "the drill is not running");
    this.mtail.append(statuses);
  }

  /** Waits until Prometheus has scraped every job the drill runs, and probed the certificate. */
  async scrapedOnce(limitSeconds: number): Promise<void> {
    const jobs = [
      ...["prometheus", "alertmanager", "node", "postgres", "redis", "nginx", "nginx-log"],
      "backend",
    ];
    const query = `count(up{job=~"${jobs.join("|")}"} == 1) == ${jobs.length}
and on () count(probe_ssl_earliest_cert_expiry) > 0`;
    await waitFor(
      "Prometheus to scrape every job of the drill",
      () => hasSample(this.prometheusUrl, query),
      limitSeconds * 1000,
    );
  }

  /**
   * True while Alertmanager holds a firing alert of this name that it will notify: active, neither
   * inhibited nor silenced, and not resolved.
   */
  holds(alert: string): Promise<boolean> {
    return alertmanagerHolds(this.alertmanagerUrl, alert);
  }

  /**
   * Stops the server behind `alert` and returns the seconds until Alertmanager holds the alert,
   * after waiting for Prometheus to have seen the server healthy and the alert to be clear. The
   * server is started again before returning; waiting is bounded by `limitSeconds`.
   */
  async measure(alert: DrillAlert, limitSeconds: number): Promise<number> {
    const target = this.targets.get(alert);
    assert.ok(target, `no drill for ${alert}`);
    await waitFor(
      `Prometheus to see the server behind ${alert} healthy and the alert clear`,
      async () =>
        (await hasSample(this.prometheusUrl, target.healthy)) && !(await this.holds(alert)),
      limitSeconds * 1000,
    );
    const started = Date.now();
    await target.stop();
    try {
      await waitFor(`Alertmanager to hold ${alert}`, () => this.holds(alert), limitSeconds * 1000);
      return (Date.now() - started) / 1000;
    } finally {
      await target.restore();
    }
  }

  /** Stops every process by pid and removes the directories. */
  async stop(): Promise<void> {
    for (const process of this.processes.reverse()) {
      await process.stop();
    }
    await this.backend?.stop();
    await this.heartbeat?.stop();
    await this.redis?.stop();
    await this.postgres?.destroy();
    this.cleanups.forEach((cleanup) => cleanup());
    if (this.dir) {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
