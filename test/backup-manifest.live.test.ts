import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  BACKUP_BIN,
  BackupEnv,
  sample,
  startArchivingCluster,
  succeeded,
} from "./support/backup-env";
import { ok, PostgresCluster } from "./support/postgres-cluster";
import { execAsUser, freePort, ServerProcess, waitFor } from "./support/processes";

// The manifest recorded after each backup, run byte for byte against PostgreSQL 15 and pgBackRest
// 2.45: writers to the tables it checksums wait milliseconds, not the seconds of the scan; the
// restore point still matches it exactly with writers committing throughout; and it covers the
// configured key tables, with its own outcome in its own metrics.
const DATABASE = "waste_management";
const PSQL = "/usr/lib/postgresql/15/bin/psql";
/** Enough rows that counting and checksumming them takes over a second here. */
const ROWS = 2000000;

describe("the backup manifest, against writers on PostgreSQL 15", function () {
  this.timeout(300000);
  let cluster: PostgresCluster;
  let backup: BackupEnv;

  const sql = (text: string) => cluster.superuser(DATABASE, text).then((r) => ok(r, text));

  /** A psql session of its own that commits a row into each table every 10 ms until stopped. */
  function startWriter(): ServerProcess {
    const loop = `DO $$ BEGIN LOOP
      INSERT INTO readings (id, v) VALUES (nextval('readings_extra'), md5(clock_timestamp()::text));
      INSERT INTO pickups (at) VALUES (clock_timestamp());
      COMMIT; PERFORM pg_sleep(0.01); END LOOP; END $$`;
    const [command, args] = execAsUser("postgres", PSQL, [
      ...["-h", cluster.dir, "-p", String(cluster.port), "-X", "-q", "-d", DATABASE, "-c", loop],
    ]);
    return new ServerProcess(command, args);
  }

  before(async () => {
    ({ cluster, backup } = await startArchivingCluster("backup-manifest", DATABASE));
    ok(await cluster.superuser("postgres", `CREATE DATABASE ${DATABASE}`), "create database");
    await sql(`CREATE TABLE readings AS
      SELECT g AS id, md5(g::text) AS v FROM generate_series(1, ${ROWS}) g`);
    await sql(`CREATE SEQUENCE readings_extra START ${ROWS + 1}`);
    await sql("CREATE TABLE pickups (id bigserial PRIMARY KEY, at timestamptz NOT NULL)");
    succeeded(await backup.script("backup-init"), "backup-init");
    succeeded(
      await backup.script("backup-db", ["full"], { BACKUP_MANIFEST_TABLES: "public.pickups" }),
      "backup-db full",
    );
  });

  after(async () => {
    await cluster?.destroy();
    backup?.remove();
  });

  it("lets an INSERT into a table being checksummed through in milliseconds, while the scan takes seconds", async () => {
    const manifest = new ServerProcess(
      ...execAsUser("postgres", path.join(BACKUP_BIN, "backup-manifest"), ["20240101-000000F"]),
      backup.env,
    );
    const started = Date.now();
    const latencies: number[] = [];
    try {
      // One INSERT every 100 ms, each timed, for as long as the manifest runs.
      while (!manifest.exited && Date.now() - started < 120000) {
        const t0 = Date.now();
        await sql("INSERT INTO readings (id, v) VALUES (nextval('readings_extra'), 'during')");
        latencies.push(Date.now() - t0);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await waitFor("the manifest to finish", () => manifest.exited, 120000);
    } finally {
      await manifest.stop();
    }
    const elapsed = Date.now() - started;
    const slowest = Math.max(...latencies);
    assert.ok(slowest < 500, `an INSERT waited ${slowest} ms while the manifest ran ${elapsed} ms`);
    assert.ok(latencies.length >= 5, `only ${latencies.length} inserts in ${elapsed} ms`);
    assert.match(manifest.log, /recorded manifest of 2 tables at restore point backup-20240101/);
    const scan = Number(/counted and checksummed 2 tables in (\d+)ms/.exec(manifest.log)?.[1]);
    assert.ok(scan > 1000, `the scan took ${scan} ms; the test needs one over a second`);
    const held = Number(/writers waited for (\d+)ms/.exec(manifest.log)?.[1]);
    assert.ok(held < 500, `the tables were locked for ${held} ms`);
  });

  it("matches the DR test exactly with writers committing throughout the backup and its manifest", async () => {
    const writer = startWriter();
    let before: string;
    let after: string;
    try {
      await waitFor(
        "the writer's first rows",
        async () => Number(await sql("SELECT count(*) FROM pickups")) > 10,
      );
      before = await sql("SELECT count(*) FROM pickups");
      const log = succeeded(
        await backup.script("backup-db", ["incr"], {}, 180000),
        "backup-db incr",
      );
      assert.match(log, /recorded manifest of 2 tables/);
      after = await sql("SELECT count(*) FROM pickups");
    } finally {
      await writer.stop("SIGTERM");
    }
    assert.ok(Number(after) > Number(before), `the writer stalled: ${before} then ${after} rows`);
    const port = await freePort();
    const dr = succeeded(
      await backup.script("backup-dr-test", [], { BACKUP_SCRATCH_PORT: String(port) }, 240000),
      "backup-dr-test",
    );
    assert.match(dr, /2 tables match the manifest of backup \S+I/);
  });

  it("checksums only the configured key tables, and refuses names that are not tables", async () => {
    const only = succeeded(
      await backup.script("backup-manifest", ["20240101-000001F"], {
        BACKUP_MANIFEST_TABLES: "public.pickups",
      }),
      "backup-manifest",
    );
    assert.match(only, /recorded manifest of 1 tables at restore point backup-20240101-000001F/);
    const bad = await backup.script("backup-manifest", ["20240101-000002F"], {
      BACKUP_MANIFEST_TABLES: "public.pickups Public.Readings",
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /'Public\.Readings' is not a lower-case schema\.table name/);
    const missing = await backup.script("backup-manifest", ["20240101-000003F"], {
      BACKUP_MANIFEST_TABLES: "public.pickups public.routes",
    });
    assert.equal(missing.code, 1);
    assert.match(
      missing.stdout,
      /BACKUP_MANIFEST_TABLES names tables that do not exist in waste_management: public\.routes/,
    );
  });

  it("gives up on a table a long transaction writes to, with its sessions and pipes gone", async () => {
    const [command, args] = execAsUser("postgres", PSQL, [
      ...["-h", cluster.dir, "-p", String(cluster.port), "-X", "-q", "-d", DATABASE, "-c"],
      "BEGIN; INSERT INTO pickups (at) VALUES (now()); SELECT pg_sleep(60); COMMIT;",
    ]);
    const holder = new ServerProcess(command, args);
    const tmp = path.join(backup.path("home"), "tmp");
    fs.mkdirSync(tmp, { recursive: true });
    fs.chownSync(tmp, fs.statSync(backup.path("home")).uid, fs.statSync(backup.path("home")).gid);
    try {
      await waitFor("the long transaction", async () => {
        const waiting = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'BEGIN; INSERT%'";
        return (await sql(waiting)) === "1";
      });
      const result = await backup.script("backup-manifest", ["20240101-000004F"], {
        BACKUP_MANIFEST_LOCK_TIMEOUT: "1s",
        BACKUP_MANIFEST_ATTEMPTS: "2",
        BACKUP_MANIFEST_RETRY_DELAY: "1",
        TMPDIR: tmp,
      });
      assert.equal(result.code, 1, result.stdout);
      assert.match(
        result.stdout,
        /could not lock the tables against writes within 1s \(attempt 2 of 2\)/,
      );
      assert.match(
        result.stdout,
        /no manifest for backup 20240101-000004F: the tables stayed locked/,
      );
    } finally {
      await holder.stop();
    }
    const sessions =
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'backup-manifest'";
    assert.equal(await sql(sessions), "0");
    assert.deepEqual(fs.readdirSync(tmp), []);
    assert.equal(sample(backup.metrics("backup_manifest"), "backup_manifest_last_run_success"), 0);
  });

  it("keeps a backup good when its manifest fails, and reports the manifest apart", async () => {
    const result = await backup.script("backup-db", ["incr"], {
      BACKUP_MANIFEST_TABLES: "public.routes",
    });
    assert.equal(result.code, 0, result.stdout);
    assert.match(
      result.stdout,
      /ERROR: backup \S+I is good, but its manifest could not be recorded/,
    );
    const db = backup.metrics("pgbackrest_backup_incr");
    assert.equal(sample(db, 'pgbackrest_backup_last_run_success{type="incr"}'), 1);
    const manifest = backup.metrics("backup_manifest");
    assert.equal(sample(manifest, "backup_manifest_last_run_success"), 0);
    assert.ok((sample(manifest, "backup_manifest_failures_total") ?? 0) >= 1);
  });
});
