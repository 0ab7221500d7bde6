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
import { execAsUser, freePort, run, ServerProcess, waitFor } from "./support/processes";

// The backup image's scripts, run byte for byte on Debian's PostgreSQL 15 with PostGIS and
// pgBackRest 2.45, with the dev stack's rendered postgresql.conf and pgbackrest.conf (paths and
// port adapted): backups, a crash that loses the data directory, restores to the latest point and
// to a recorded time, the Redis snapshot, verify and the disaster-recovery test.
const DATABASE = "waste_management";
const PG_BIN = "/usr/lib/postgresql/15/bin";
const PGBENCH = `${PG_BIN}/pgbench`;

let cluster: PostgresCluster;
let backup: BackupEnv;

function sql(statement: string, database = DATABASE): Promise<string> {
  return cluster.superuser(database, statement).then((r) => ok(r, statement.slice(0, 60)));
}

/** The ids of the pickups table, in order. */
async function pickupIds(): Promise<number[]> {
  const text = await sql("SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM pickups");
  return text === "" ? [] : text.split(",").map(Number);
}

/** Waits until the server has archived the segment it is writing now. */
async function archiveCurrentSegment(): Promise<void> {
  const segment = await sql("SELECT pg_walfile_name(pg_switch_wal())", "postgres");
  await waitFor(
    `WAL segment ${segment} in the archive`,
    async () =>
      (await sql("SELECT last_archived_wal FROM pg_stat_archiver", "postgres")) >= segment,
    60000,
  );
}

async function waitForPromotion(): Promise<void> {
  await waitFor(
    "the restored server to leave recovery",
    async () => (await sql("SELECT pg_is_in_recovery()", "postgres")) === "f",
    60000,
  );
}

/** Writes one row per statement, each in its own transaction, with the server's clock after it. */
async function insertRecordingTimes(from: number, count: number): Promise<string[]> {
  const statements = Array.from({ length: count }, (_, i) =>
    [
      `INSERT INTO pickups (id, bin, location) VALUES (${from + i}, 'T-${from + i}',`,
      `ST_SetSRID(ST_MakePoint(4.3 + ${i} * 0.001, 50.8), 4326));`,
      "SELECT clock_timestamp(); SELECT pg_sleep(0.02);",
    ].join(" "),
  ).join("\n");
  const out = await sql(statements);
  return out.split("\n").filter((line) => /^\d{4}-/.test(line));
}

describe("backups with pgBackRest 2.45 on PostgreSQL 15, from the image's scripts", function () {
  this.timeout(240000);
  let fullLabel: string;
  let incrLabel: string;
  let accountsAtIncr: string;
  let committedBeforeKill: number[];
  let times: string[];

  before(async () => {
    ({ cluster, backup } = await startArchivingCluster("backup-live", DATABASE));
    await sql(`CREATE DATABASE ${DATABASE}`, "postgres");
    await sql("CREATE EXTENSION postgis");
    await sql(`CREATE TABLE pickups (
      id integer PRIMARY KEY, bin text NOT NULL, location geometry(Point, 4326) NOT NULL)`);
    const [command, args] = execAsUser("postgres", PGBENCH, [
      ...["-h", cluster.dir, "-p", String(cluster.port), "-i", "-s", "2", "-q", DATABASE],
    ]);
    ok(await run(command, args, { timeoutMs: 120000 }), "pgbench -i");
    await insertRecordingTimes(1, 10);
  });

  after(async () => {
    await cluster?.destroy();
    backup?.remove();
  });

  it("runs with the rendered archiving settings", async () => {
    const names = ["archive_mode", "archive_command", "archive_timeout", "wal_level"];
    const rows = await sql(
      `SELECT string_agg(name || '=' || setting, ';' ORDER BY name) FROM pg_settings
       WHERE name IN ('${names.join("','")}')`,
      "postgres",
    );
    assert.equal(
      rows,
      "archive_command=pgbackrest --stanza=waste archive-push %p;archive_mode=on;" +
        "archive_timeout=60;wal_level=replica",
    );
  });

  it("creates the stanza and archives WAL through archive_command", async () => {
    succeeded(await backup.script("backup-init"), "backup-init");
    await archiveCurrentSegment();
    // Segments that closed before the stanza existed failed once and were archived on retry.
    const recovered = `SELECT last_failed_time IS NULL OR last_archived_time > last_failed_time
      FROM pg_stat_archiver`;
    assert.equal(await sql(recovered, "postgres"), "t");
  });

  it("takes a full backup and records its success, duration and size for Prometheus", async () => {
    const log = succeeded(await backup.script("backup-db", ["full"]), "backup-db full");
    assert.match(log, /finished full backup \d{8}-\d{6}F in \d+s/);
    fullLabel = /finished full backup (\S+)/.exec(log)?.[1] ?? "";
    const metrics = backup.metrics("pgbackrest_backup_full");
    const now = Date.now() / 1000;
    const last = sample(metrics, 'pgbackrest_backup_last_success_timestamp_seconds{type="full"}');
    assert.ok(last !== undefined && Math.abs(now - last) < 300, metrics);
    assert.ok((sample(metrics, 'pgbackrest_backup_last_size_bytes{type="full"}') ?? 0) > 0);
    assert.equal(sample(metrics, 'pgbackrest_backup_failures_total{type="full"}'), 0);
    assert.equal(sample(metrics, 'pgbackrest_backup_last_run_success{type="full"}'), 1);
  });

  it("takes an incremental on top of the full after more writes", async () => {
    await insertRecordingTimes(11, 10);
    const [command, args] = execAsUser("postgres", PGBENCH, [
      ...["-h", cluster.dir, "-p", String(cluster.port), "-t", "200", "-c", "2", DATABASE],
    ]);
    ok(await run(command, args, { timeoutMs: 120000 }), "pgbench");
    const log = succeeded(await backup.script("backup-db", ["incr"]), "backup-db incr");
    incrLabel = /finished incr backup (\S+)/.exec(log)?.[1] ?? "";
    assert.match(incrLabel, new RegExp(`^${fullLabel}_\\d{8}-\\d{6}I$`));
    accountsAtIncr = await sql("SELECT sum(abalance) FROM pgbench_accounts");
    const info = JSON.parse(
      succeeded(await backup.script("pgbackrest", ["info", "--output=json"]), "info"),
    ) as {
      backup: { label: string; type: string }[];
    }[];
    assert.deepEqual(
      info[0].backup.map((b) => [b.label, b.type]),
      [
        [fullLabel, "full"],
        [incrLabel, "incr"],
      ],
    );
  });

  it("restores the latest backup into a scratch server that matches its manifest (DR test)", async () => {
    const port = await freePort();
    const log = succeeded(
      await backup.script("backup-dr-test", [], { BACKUP_SCRATCH_PORT: String(port) }, 180000),
      "backup-dr-test",
    );
    assert.match(log, new RegExp(`restoring backup ${incrLabel} into`));
    assert.match(log, /amcheck: \d+ B-tree indexes of waste_management are consistent/);
    assert.match(log, new RegExp(`\\d+ tables match the manifest of backup ${incrLabel}`));
    assert.match(log, new RegExp(`disaster-recovery test of backup ${incrLabel} passed`));
    assert.deepEqual(fs.readdirSync(backup.path("scratch")), [], "the scratch directory is left");
    assert.ok(
      (sample(backup.metrics("backup_dr_test"), "backup_dr_test_last_run_success") ?? 0) === 1,
    );
  });

  it("clears what a killed DR test left in the scratch volume before the next one", async () => {
    const leftover = path.join(backup.path("scratch"), "dr-test-Kil1ed");
    fs.mkdirSync(path.join(leftover, "data", "base"), { recursive: true });
    fs.writeFileSync(path.join(leftover, "data", "base", "16384"), "a restored copy");
    await run("chown", ["-R", "postgres:postgres", leftover]);
    const port = await freePort();
    const log = succeeded(
      await backup.script("backup-dr-test", [], { BACKUP_SCRATCH_PORT: String(port) }, 180000),
      "backup-dr-test",
    );
    assert.match(log, /removed dr-test-Kil1ed, left in the scratch volume by an earlier run/);
    assert.deepEqual(fs.readdirSync(backup.path("scratch")), []);
  });

  it("refuses a DR test the scratch volume has no room for, before restoring anything", async () => {
    // An 8 MiB file system over the scratch directory, in a mount namespace of the script's own.
    const scratch = backup.path("scratch");
    const [command, argv] = execAsUser("postgres", path.join(BACKUP_BIN, "backup-dr-test"), []);
    const script = `mount -t tmpfs -o size=8m tmpfs "$0" && exec "$@"`;
    const result = await run(
      "unshare",
      ["--mount", "sh", "-c", script, scratch, command, ...argv],
      { env: backup.env, timeoutMs: 60000 },
    );
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /the scratch volume .* has 8 MiB free; backup \S+ needs about \d+ MiB \(\d+ MiB restored and 256 MiB for WAL and the server\)/,
    );
    assert.doesNotMatch(result.stdout, /restoring backup/);
    assert.equal(sample(backup.metrics("backup_dr_test"), "backup_dr_test_last_run_success"), 0);
  });

  it("finds the live database different from the manifest once it has changed", async () => {
    await sql("UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = 1");
    const result = await backup.script("backup-integrity", ["--manifest", incrLabel]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /differ from the manifest/);
    assert.match(result.stdout, /public\.pgbench_branches/);
    await sql("UPDATE pgbench_branches SET bbalance = bbalance - 1 WHERE bid = 1");
  });

  it("loses no archived commit: every row up to the last archived segment survives a crash", async () => {
    // Commits recorded with the server's clock between them; the segment holding them is
    // archived, as archive_timeout does within 60 s. Rows written after it are lost with the host.
    times = await insertRecordingTimes(21, 20);
    await archiveCurrentSegment();
    committedBeforeKill = await pickupIds();
    await insertRecordingTimes(41, 5);

    await cluster.kill();
    fs.rmSync(cluster.dataDir, { recursive: true, force: true });
    const log = succeeded(await backup.script("backup-restore", ["--latest"]), "restore --latest");
    assert.match(log, /restored; start PostgreSQL/);
    await cluster.restart();
    await waitForPromotion();

    assert.deepEqual(await pickupIds(), committedBeforeKill);
    assert.deepEqual(
      committedBeforeKill,
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    assert.equal(await sql("SELECT sum(abalance) FROM pgbench_accounts"), accountsAtIncr);
    assert.equal(
      await sql("SELECT ST_AsText(location) FROM pickups WHERE id = 21"),
      "POINT(4.3 50.8)",
    );
  });

  it("restores to a recorded time: every row committed before it, none after", async () => {
    // The clock reading after row 30's commit and before row 31's.
    const target = times[9];
    await cluster.stop();
    const log = succeeded(
      await backup.script("backup-restore", ["--target", target]),
      "restore --target",
    );
    assert.match(log, new RegExp(`--type=time --target=${target.replace(/[+.]/g, "\\$&")}`));
    await cluster.restart();
    await waitForPromotion();
    assert.deepEqual(
      await pickupIds(),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });

  it("refuses to restore while the server runs, even from a PID namespace that cannot see it", async () => {
    // The backup container has a PID namespace of its own: postmaster.pid's pid names no process
    // there, and pg_ctl status says no server runs. The shared socket still answers.
    const inOwnPidNamespace = (file: string, args: string[]) => {
      const [command, argv] = execAsUser("postgres", file, args);
      const unshare = ["--pid", "--fork", "--mount-proc", command, ...argv];
      return run("unshare", unshare, { env: backup.env, timeoutMs: 60000 });
    };
    const status = await inOwnPidNamespace(`${PG_BIN}/pg_ctl`, ["status", "-D", cluster.dataDir]);
    assert.match(status.stdout, /no server running/);
    const running = await inOwnPidNamespace(path.join(BACKUP_BIN, "backup-restore"), ["--latest"]);
    assert.equal(running.code, 1, running.stdout);
    assert.match(
      running.stdout,
      /PostgreSQL answers on .* \(accepting connections\); stop it before restoring/,
    );
    assert.ok(
      fs.existsSync(path.join(cluster.dataDir, "postmaster.pid")),
      "postmaster.pid removed",
    );
    assert.equal(await sql("SELECT count(*) FROM pickups"), "30");
  });

  it("refuses a restore target without a time zone", async () => {
    const zoneless = await backup.script("backup-restore", ["--target", "2024-05-01 10:15:00"]);
    assert.equal(zoneless.code, 1);
    assert.match(zoneless.stdout, /a time zone is required/);
  });

  it("restores to a backup's restore point, where the database matches its manifest", async () => {
    await cluster.stop();
    const log = succeeded(
      await backup.script("backup-restore", ["--backup", incrLabel]),
      "restore --backup",
    );
    assert.match(log, new RegExp(`--set=${incrLabel} --type=name --target=backup-${incrLabel}`));
    await cluster.restart();
    await waitForPromotion();
    assert.equal(await sql("SELECT sum(abalance) FROM pgbench_accounts"), accountsAtIncr);
    const verified = succeeded(
      await backup.script("backup-verify", ["--manifest", incrLabel], {}, 180000),
      "backup-verify --manifest",
    );
    assert.match(verified, new RegExp(`\\d+ tables match the manifest of backup ${incrLabel}`));
    assert.match(verified, /repository, archiving, indexes and the manifest verified/);
  });

  it("archives the segment being written before the server is stopped for a restore", async () => {
    await insertRecordingTimes(101, 3);
    const flushed = succeeded(await backup.script("backup-wal-flush"), "backup-wal-flush");
    const segment = /WAL segment ([0-9A-F]{24}) is in the archive/.exec(flushed)?.[1];
    assert.ok(segment, flushed);
    const archived = await sql("SELECT last_archived_wal FROM pg_stat_archiver", "postgres");
    assert.ok(archived >= segment, `${archived} before ${segment}`);
  });

  it("pushes WAL the server could not archive before it stopped, before --delta clears pg_wal", async () => {
    // archive_command fails from here on: the segment PostgreSQL switches to at shutdown stays
    // marked .ready in pg_wal, the only copy of the commits in it.
    const before = await pickupIds();
    await sql("ALTER SYSTEM SET archive_command = 'false'", "postgres");
    await sql("SELECT pg_reload_conf()", "postgres");
    await insertRecordingTimes(104, 2);
    await cluster.stop();
    const status = path.join(cluster.dataDir, "pg_wal", "archive_status");
    const ready = fs.readdirSync(status).filter((f) => f.endsWith(".ready"));
    assert.ok(ready.length > 0, "no segment waits for the archive");
    const log = succeeded(await backup.script("backup-restore", ["--latest"]), "restore --latest");
    assert.match(log, new RegExp(`pushed ${ready.length} WAL files the archive lacked`));
    await cluster.restart();
    await waitForPromotion();
    assert.deepEqual(await pickupIds(), [...before, 104, 105]);
    assert.equal(
      await sql("SELECT setting FROM pg_settings WHERE name = 'archive_command'", "postgres"),
      "pgbackrest --stanza=waste archive-push %p",
    );
  });

  it("has nothing to archive when the server is down", async () => {
    await cluster.stop();
    const log = succeeded(await backup.script("backup-wal-flush"), "backup-wal-flush");
    assert.match(log, /PostgreSQL does not answer; no WAL to archive/);
    await cluster.restart();
  });

  it("skips backups from a restore until the server is open again, counting no failure", async () => {
    await cluster.stop();
    succeeded(await backup.script("backup-restore", ["--latest"]), "restore --latest");
    const before = backup.metrics("pgbackrest_backup_incr");
    const skipped = await backup.script("backup-db", ["incr"]);
    assert.equal(skipped.code, 0, skipped.stdout);
    assert.match(skipped.stdout, /skipped: a restore of stanza waste is in progress/);
    assert.doesNotMatch(skipped.stdout, /starting incr backup/);
    assert.equal(backup.metrics("pgbackrest_backup_incr"), before);

    await cluster.restart();
    const finished = succeeded(
      await backup.script("backup-restore", ["--finish"], {}, 120000),
      "backup-restore --finish",
    );
    assert.match(finished, /PostgreSQL is open; backups of stanza waste resume/);
    assert.equal(await sql("SELECT pg_is_in_recovery()", "postgres"), "f");
    const resumed = succeeded(await backup.script("backup-db", ["incr"]), "backup-db incr");
    assert.match(resumed, /finished incr backup/);
  });

  it("clears a restore's marker itself once the server is open, if nobody finished it", async () => {
    fs.writeFileSync(path.join(backup.path("locks"), "restore-in-progress"), "an old restore\n");
    const log = succeeded(await backup.script("backup-verify", [], {}, 180000), "backup-verify");
    assert.match(log, /removing the marker of a finished restore \(an old restore\)/);
    assert.ok(!fs.existsSync(path.join(backup.path("locks"), "restore-in-progress")));
  });

  it("removes the manifests of backups the repository no longer holds, keeping the others", async () => {
    const lib = path.join(BACKUP_BIN, "backup-lib.sh");
    const stale = `. ${lib} && echo '# expired' | repo_put extra/waste/manifest/20200101-000000F.tsv`;
    succeeded(await backup.script("bash", ["-c", stale]), "repo_put");
    const log = succeeded(await backup.script("backup-db", ["incr"]), "backup-db incr");
    assert.match(log, /removed the manifest of 20200101-000000F: pgBackRest no longer holds it/);
    const list = async (what: string) =>
      succeeded(await backup.script("bash", ["-c", `. ${lib} && ${what}`]), what)
        .split("\n")
        .filter((line) => line !== "")
        .sort();
    const manifests = await list("pgbackrest repo-ls extra/waste/manifest");
    const labels = await list("stanza_info | jq -r '.backup[].label'");
    assert.deepEqual(
      manifests,
      labels.map((label) => `${label}.tsv`),
    );
  });

  it("refuses a backup label that is not one", async () => {
    const result = await backup.script("backup-restore", ["--backup", "yesterday"]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /not a backup label, such as 20240501-020000F/);
  });

  it("verifies the repository, the archiving and the indexes after the restores", async () => {
    const log = succeeded(await backup.script("backup-verify", [], {}, 180000), "backup-verify");
    assert.match(log, /repository, archiving and indexes verified/);
  });

  it("skips an incremental that cannot get the stanza's lock, logs why and counts a failure", async () => {
    const holder = new ServerProcess(
      ...execAsUser("postgres", "flock", [
        path.join(backup.path("locks"), "stanza-waste.lock"),
        "sleep",
        "30",
      ]),
    );
    try {
      await waitFor("the lock holder", () =>
        fs.existsSync(path.join(backup.path("locks"), "stanza-waste.lock")),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const result = await backup.script("backup-db", ["incr"], { BACKUP_LOCK_WAIT: "1" });
      assert.equal(result.code, 75, result.stdout);
      assert.match(result.stdout, /skipped: another backup of stanza waste ran longer than 1s/);
      const metrics = backup.metrics("pgbackrest_backup_incr");
      assert.equal(sample(metrics, 'pgbackrest_backup_failures_total{type="incr"}'), 1);
      assert.equal(sample(metrics, 'pgbackrest_backup_last_run_success{type="incr"}'), 0);
      assert.ok(
        (sample(metrics, 'pgbackrest_backup_last_success_timestamp_seconds{type="incr"}') ?? 0) > 0,
      );
    } finally {
      await holder.stop();
    }
  });
});
