import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { BACKUP_CONTAINER_GROUPS } from "../components/backup/layout";
import { METRIC_CATALOGUE } from "../components/monitoring/metric-catalogue";
import { renderRedisAcl, REDIS_APP_USER, REDIS_BACKUP_USER } from "../components/redis/settings";
import {
  BACKUP_BIN,
  BackupEnv,
  sample,
  startArchivingCluster,
  succeeded,
} from "./support/backup-env";
import { ok, PostgresCluster } from "./support/postgres-cluster";
import {
  execAsUser,
  freePort,
  requireBinary,
  run,
  ServerProcess,
  startServer,
  tempDir,
} from "./support/processes";
import { reply, startRedis, writeRedisFiles } from "./support/redis-server";
import { readRendered } from "./support/rendered";

// The other backup jobs with the real servers: the Redis snapshot restored into a fresh Redis,
// the weekly system archive, the scheduler running the rendered schedule, Debian's
// prometheus-node-exporter 1.5 serving the jobs' metrics, and postgres_exporter 0.11 running the
// rendered pg_archiver query.
const NODE_EXPORTER = "/usr/bin/prometheus-node-exporter";
const POSTGRES_EXPORTER = "/usr/bin/prometheus-postgres-exporter";

async function metricsOf(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return response.text();
}

describe("the Redis, system and scheduled backup jobs, and their metrics", function () {
  this.timeout(180000);
  let out: string;
  let cluster: PostgresCluster;
  let backup: BackupEnv;
  let redisDir: string;
  let redis: ServerProcess;
  let redisPort: number;
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];
  const app = { user: REDIS_APP_USER, password: randomBytes(16).toString("hex") };
  const backupPassword = randomBytes(16).toString("hex");
  const admin = { user: "test_admin", password: randomBytes(16).toString("hex") };

  before(async () => {
    ({ cluster, backup, rendered: out } = await startArchivingCluster("backup-jobs", "postgres"));
    succeeded(await backup.script("backup-init"), "backup-init");
    const bins = "CREATE TABLE bins AS SELECT generate_series(1, 100) AS id";
    ok(await cluster.superuser("postgres", bins), "bins");

    redisDir = tempDir("backup-redis");
    redisPort = await freePort();
    const acl = renderRedisAcl({
      appPassword: app.password,
      monitoringPassword: "x".repeat(32),
      backupPassword,
    });
    // One user beyond the rendered ones, for the test alone: it starts an AOF rewrite.
    writeRedisFiles(
      redisDir,
      readRendered(out, "redis/redis.conf"),
      `${acl}user ${admin.user} on >${admin.password} ~* &* +@all\n`,
    );
    redis = await startRedis(redisDir, redisPort);
    servers.push(redis);
    for (let i = 0; i < 200; i++) {
      await reply(redisPort, app, ["set", `route:${i}`, `bin-${i * 7}`]);
    }
    await reply(redisPort, app, ["hset", "truck:42", "driver", "ana", "load", "310"]);
    await reply(redisPort, app, ["rpush", "queue:pickups", "a", "b", "c"]);
  });

  after(async () => {
    for (const server of servers) {
      await server.stop();
    }
    await cluster?.destroy();
    backup?.remove();
    [redisDir, ...dirs].forEach((dir) => dir && fs.rmSync(dir, { recursive: true, force: true }));
  });

  const redisEnv = () => ({
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: String(redisPort),
    REDIS_USER: REDIS_BACKUP_USER,
    REDISCLI_AUTH: backupPassword,
    REDIS_DATA_DIR: redisDir,
  });

  it("lets the backup user run BGSAVE and LASTSAVE, and nothing that reads or writes keys", async () => {
    const login = { user: REDIS_BACKUP_USER, password: backupPassword };
    assert.match(await reply(redisPort, login, ["lastsave"]), /^\d+$/);
    for (const command of [["get", "route:1"], ["set", "x", "1"], ["save"], ["flushall"]]) {
      assert.match(await reply(redisPort, login, command), /NOPERM/, command.join(" "));
    }
  });

  it("snapshots Redis with BGSAVE, and backup-redis-restore puts it back whole over other data", async () => {
    const log = succeeded(await backup.script("backup-redis", [], redisEnv()), "backup-redis");
    const name = /stored Redis snapshot (dump-\d{8}T\d{6}Z\.rdb)/.exec(log)?.[1];
    assert.ok(name, log);
    const metrics = backup.metrics("redis_snapshot");
    assert.equal(sample(metrics, "redis_snapshot_last_run_success"), 1);
    assert.ok((sample(metrics, "redis_snapshot_last_success_timestamp_seconds") ?? 0) > 0);

    // A Redis with the rendered redis.conf and other data, stopped: its AOF must give way. Its
    // files belong to uid 999 in the stack, which is also the backup image's postgres.
    const fresh = tempDir("backup-redis-fresh", "postgres");
    dirs.push(fresh);
    writeRedisFiles(
      fresh,
      readRendered(out, "redis/redis.conf"),
      renderRedisAcl({ appPassword: app.password, monitoringPassword: "x".repeat(32) }),
    );
    const freshPort = await freePort();
    const other = await startRedis(fresh, freshPort);
    await reply(freshPort, app, ["set", "stale", "1"]);
    await other.stop();
    await run("chown", ["-R", "postgres:postgres", fresh]);

    const env = { ...redisEnv(), REDIS_PORT: String(freshPort), REDIS_DATA_DIR: fresh };
    const restored = succeeded(
      await backup.script("backup-redis-restore", ["--latest"], env),
      "backup-redis-restore",
    );
    assert.match(
      restored,
      new RegExp(`restored Redis snapshot ${name} as the base of appendonlydir`),
    );
    const aside = fs.readdirSync(fresh).filter((f) => f.startsWith("before-restore-"));
    assert.equal(aside.length, 1);
    assert.ok(fs.readdirSync(path.join(fresh, aside[0])).includes("appendonlydir"));

    // The snapshot as a bare dump.rdb, which is all a restore by hand puts back: Redis 7 with
    // appendonly yes starts empty from it (redis/redis#12098).
    const bare = tempDir("backup-redis-bare");
    dirs.push(bare);
    writeRedisFiles(
      bare,
      readRendered(out, "redis/redis.conf"),
      renderRedisAcl({ appPassword: app.password, monitoringPassword: "x".repeat(32) }),
    );
    fs.copyFileSync(path.join(fresh, "dump.rdb"), path.join(bare, "dump.rdb"));
    const barePort = await freePort();
    const bareRedis = await startRedis(bare, barePort);
    assert.equal(await reply(barePort, app, ["dbsize"]), "0");
    await bareRedis.stop();

    servers.push(await startRedis(fresh, freshPort));
    assert.equal(await reply(freshPort, app, ["dbsize"]), "202");
    assert.equal(await reply(freshPort, app, ["get", "route:199"]), "bin-1393");
    assert.equal(await reply(freshPort, app, ["hget", "truck:42", "load"]), "310");
    assert.equal(await reply(freshPort, app, ["lrange", "queue:pickups", "0", "-1"]), "a\nb\nc");
    assert.equal(await reply(freshPort, app, ["exists", "stale"]), "0");
  });

  it("snapshots Redis while an AOF rewrite runs, by scheduling the BGSAVE after it", async () => {
    // Every key takes 20 ms to write: the rewrite of 202 keys runs for about 4 s.
    await reply(redisPort, admin, ["config", "set", "rdb-key-save-delay", "20000"]);
    try {
      assert.match(
        await reply(redisPort, admin, ["bgrewriteaof"]),
        /rewriting (started|scheduled)/,
      );
      const info = await reply(redisPort, admin, ["info", "persistence"]);
      assert.match(info, /aof_rewrite_in_progress:1/);
      const log = succeeded(await backup.script("backup-redis", [], redisEnv()), "backup-redis");
      assert.match(log, /the snapshot is scheduled after the AOF rewrite or save that runs/);
      assert.match(log, /stored Redis snapshot dump-\d{8}T\d{6}Z\.rdb/);
    } finally {
      await reply(redisPort, admin, ["config", "set", "rdb-key-save-delay", "0"]);
    }
    assert.equal(sample(backup.metrics("redis_snapshot"), "redis_snapshot_last_run_success"), 1);
  });

  it("refuses to restore a Redis snapshot while Redis answers", async () => {
    const result = await backup.script("backup-redis-restore", ["--latest"], redisEnv());
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /Redis answers on 127\.0\.0\.1:\d+; stop it before restoring/);
    assert.ok(fs.existsSync(path.join(redisDir, "appendonlydir")));
  });

  it("archives the monitoring data and the rendered configuration into the repository", async () => {
    const sources = tempDir("backup-system-sources");
    const rendered = tempDir("backup-system-rendered");
    dirs.push(sources, rendered);
    fs.mkdirSync(path.join(sources, "prometheus", "wal"), { recursive: true });
    fs.writeFileSync(path.join(sources, "prometheus", "wal", "00000001"), "samples");
    fs.cpSync(out, path.join(rendered, "rendered"), { recursive: true });
    const env = {
      BACKUP_SYSTEM_SOURCES: sources,
      BACKUP_RENDERED_CONFIG: path.join(rendered, "rendered"),
    };
    const log = succeeded(await backup.script("backup-system", [], env), "backup-system");
    const name = /stored system archive (system-\S+\.tar\.zst)/.exec(log)?.[1];
    const lib = path.join(__dirname, "..", "images", "postgres-backup", "bin", "backup-lib.sh");
    const list = await backup.script("bash", [
      "-c",
      `. ${lib} && repo_get extra/waste/system/${name} | zstd -dc | tar -tf -`,
    ]);
    assert.equal(list.code, 0, list.stderr);
    const entries = list.stdout.split("\n");
    assert.ok(entries.includes("./prometheus/wal/00000001"), list.stdout);
    assert.ok(entries.includes("rendered/postgres/postgresql.conf"), list.stdout);
    assert.ok(entries.includes("rendered/backup/pgbackrest.conf"), list.stdout);
    assert.equal(sample(backup.metrics("system_backup"), "system_backup_last_run_success"), 1);
  });

  it("archives Grafana's database, which only uid 472 and group root may read, and restores it", async () => {
    // Grafana's image runs as uid 472 with group 0 and keeps grafana.db at 0640.
    const sources = tempDir("backup-system-grafana");
    const rendered = tempDir("backup-system-config");
    dirs.push(sources, rendered);
    const grafana = path.join(sources, "grafana");
    fs.mkdirSync(grafana, { mode: 0o750 });
    fs.writeFileSync(path.join(grafana, "grafana.db"), "SQLite format 3\0 dashboards", {
      mode: 0o640,
    });
    fs.chownSync(grafana, 472, 0);
    fs.chownSync(path.join(grafana, "grafana.db"), 472, 0);
    fs.cpSync(out, path.join(rendered, "rendered"), { recursive: true });
    const env = {
      ...backup.env,
      BACKUP_SYSTEM_SOURCES: sources,
      BACKUP_RENDERED_CONFIG: path.join(rendered, "rendered"),
    };
    // The backup container's user: postgres, with the groups the stack adds to it, or none.
    const { uid, gid } = fs.statSync(backup.path("home"));
    const asContainer = (groups: readonly string[]) =>
      run(
        "setpriv",
        [
          `--reuid=${uid}`,
          `--regid=${gid}`,
          groups.length > 0 ? `--groups=${groups.join(",")}` : "--clear-groups",
          "--",
          path.join(BACKUP_BIN, "backup-system"),
        ],
        { env, timeoutMs: 60000 },
      );

    const unreadable = await asContainer([]);
    assert.equal(unreadable.code, 1, unreadable.stdout);
    assert.match(
      unreadable.stdout,
      /tar could not read .*grafana.*Permission denied.*: the backup container reads the volumes as postgres in group root/,
    );
    const log = succeeded(await asContainer(BACKUP_CONTAINER_GROUPS), "backup-system");
    const name = /stored system archive (system-\S+\.tar\.zst)/.exec(log)?.[1];
    assert.ok(name, log);

    // The runbook's restore: the archive as a plain tar, extracted as root with its owners.
    const restored = tempDir("backup-system-restored", "postgres");
    dirs.push(restored);
    const tarFile = path.join(restored, "system.tar");
    const get = await backup.script("bash", ["-c", `backup-system-get --latest > ${tarFile}`]);
    assert.equal(get.code, 0, get.stdout + get.stderr);
    assert.match(get.stderr, new RegExp(`writing ${name} as a plain tar`));
    const extract = await run("tar", [
      ...["-xpf", tarFile, "--numeric-owner", "-C", restored, "./grafana"],
    ]);
    assert.equal(extract.code, 0, extract.stderr);
    const db = fs.statSync(path.join(restored, "grafana", "grafana.db"));
    assert.deepEqual([db.uid, db.gid, db.mode & 0o777], [472, 0, 0o640]);
    assert.equal(
      fs.readFileSync(path.join(restored, "grafana", "grafana.db"), "utf8"),
      "SQLite format 3\0 dashboards",
    );
  });

  it("runs the rendered schedule's jobs due at a minute, and logs each start and end", async () => {
    const schedule = path.join(backup.path("home"), "schedule");
    fs.writeFileSync(schedule, readRendered(out, "backup/schedule"));
    const result = await backup.script(
      "backup-scheduler",
      ["--once", "2024-01-01 05:15", schedule],
      redisEnv(),
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /scheduler\[\d+\]: starting backup-redis {2}\(due 2024-01-01 05:15 UTC\)/,
    );
    assert.match(result.stdout, /scheduler\[\d+\]: backup-redis {2}succeeded/);
    assert.doesNotMatch(result.stdout, /backup-db/);
  });

  it("refuses a schedule that names a job the image does not have", async () => {
    const schedule = path.join(backup.path("home"), "bad-schedule");
    fs.writeFileSync(schedule, "0 2 * * * backup-everything\n");
    const result = await backup.script("backup-scheduler", [
      "--once",
      "2024-01-01 02:00",
      schedule,
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /names no job of/);
  });

  it("serves the jobs' metrics through node-exporter's textfile collector", async () => {
    requireBinary(NODE_EXPORTER, "prometheus-node-exporter");
    succeeded(await backup.script("backup-db", ["full"]), "backup-db full");
    const scratchPort = String(await freePort());
    const dr = await backup.script("backup-dr-test", [], { BACKUP_SCRATCH_PORT: scratchPort });
    succeeded(dr, "backup-dr-test");
    const port = await freePort();
    servers.push(
      await startServer(
        NODE_EXPORTER,
        [
          "--collector.disable-defaults",
          "--collector.textfile",
          `--collector.textfile.directory=${backup.path("metrics")}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        {
          name: "node-exporter",
          ready: async () => (await metricsOf(port)).includes("node_textfile"),
        },
      ),
    );
    const text = await metricsOf(port);
    assert.equal(sample(text, "node_textfile_scrape_error"), 0);
    for (const series of [
      'pgbackrest_backup_last_success_timestamp_seconds{type="full"}',
      'pgbackrest_backup_last_duration_seconds{type="full"}',
      'pgbackrest_backup_last_size_bytes{type="full"}',
      'pgbackrest_backup_failures_total{type="full"}',
      "redis_snapshot_last_success_timestamp_seconds",
      "system_backup_last_success_timestamp_seconds",
      "backup_dr_test_last_run_success",
    ]) {
      assert.notEqual(sample(text, series), undefined, `${series} missing:\n${text}`);
    }
    assert.ok((sample(text, 'pgbackrest_backup_last_size_bytes{type="full"}') ?? 0) > 0);
    for (const name of METRIC_CATALOGUE.backup.metrics) {
      assert.match(text, new RegExp(`^${name}[{ ]`, "m"), `catalogued ${name} is not served`);
    }
  });

  it("reports WAL archiving through the rendered pg_archiver query of postgres_exporter 0.11", async () => {
    requireBinary(POSTGRES_EXPORTER, "prometheus-postgres-exporter");
    const port = await freePort();
    const queries = path.join(backup.path("home"), "queries.yaml");
    fs.writeFileSync(queries, readRendered(out, "monitoring/postgres-exporter-queries.yaml"), {
      mode: 0o644,
    });
    const [command, args] = execAsUser("postgres", POSTGRES_EXPORTER, [
      `--extend.query-path=${queries}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    servers.push(
      await startServer(command, args, {
        name: "postgres_exporter",
        env: {
          DATA_SOURCE_NAME: `postgresql://postgres@:${cluster.port}/postgres?host=${cluster.dir}&sslmode=disable`,
        },
        ready: async () => (await metricsOf(port)).includes("pg_archiver_archived_count"),
      }),
    );
    const text = await metricsOf(port);
    assert.match(text, /^pg_archiver_archived_count(\{[^}]*\})? [1-9]\d*$/m);
    assert.match(text, /^pg_archiver_failed_count(\{[^}]*\})? \d+$/m);
    assert.match(
      text,
      /^pg_archiver_seconds_since_last_archived(\{[^}]*\})? \d+(\.\d+)?(e[+-]?\d+)?$/m,
    );
    assert.match(
      text,
      /^pg_archiver_seconds_since_last_failed(\{[^}]*\})? -?\d+(\.\d+)?(e[+-]?\d+)?$/m,
    );
  });
});
