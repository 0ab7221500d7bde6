import * as fs from "node:fs";
import * as os from "node:os";
import { parseArgs } from "node:util";
import { startArchivingCluster } from "../test/support/backup-env";
import { ok } from "../test/support/postgres-cluster";
import { execAsUser, run, waitFor } from "../test/support/processes";

// Measures pgBackRest against the runbook's manual path (pg_dump -Fc and pg_restore) on a
// pgbench database of about 1 GB: backup time, restore time against the runbook's 2 minutes,
// and the seconds of commits lost when the data directory is lost, with archive_timeout = 60 s,
// beside what the dump taken in the same run loses at the same crash: everything since it.
const USAGE = "Usage: npm run bench:backup -- [--scale N] [--writer-seconds S]";
const BIN = "/usr/lib/postgresql/15/bin";
const DATABASE = "waste_management";
const RESTORE_PROMISE_SECONDS = 120;
/** The runbook's cadence for a full copy of the database: daily, at 02:00 UTC. */
const DAILY_SECONDS = 86400;
/** archive_timeout: the most a crash can lose once WAL is archived. */
const ARCHIVE_TIMEOUT_SECONDS = 60;

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint();
  const result = await work();
  return [Number(process.hrtime.bigint() - start) / 1e9, result];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: "string", default: "70" },
      "writer-seconds": { type: "string", default: "75" },
    },
  });
  const scale = Number(values.scale);
  const writerSeconds = Number(values["writer-seconds"]);
  if (!Number.isInteger(scale) || scale < 1 || !(writerSeconds > 0)) {
    throw new Error(USAGE);
  }
  const { cluster, backup } = await startArchivingCluster("bench-backup", DATABASE);
  const pg = (tool: string, args: string[], timeoutMs = 1800000) => {
    const [command, argv] = execAsUser("postgres", `${BIN}/${tool}`, [
      ...["-h", cluster.dir, "-p", String(cluster.port)],
      ...args,
    ]);
    return run(command, argv, { timeoutMs });
  };
  const sql = async (text: string, database = DATABASE) =>
    ok(await cluster.superuser(database, text), text.slice(0, 40));
  const script = async (name: string, args: string[] = []) =>
    ok(await backup.script(name, args, {}, 1800000), name);

  try {
    await sql(`CREATE DATABASE ${DATABASE}`, "postgres");
    ok(await pg("pgbench", ["-i", "-s", String(scale), "-q", DATABASE]), "pgbench -i");
    const size = Number(await sql(`SELECT pg_database_size('${DATABASE}')`));
    await script("backup-init");

    const [backupSeconds, backupLog] = await timed(() => script("backup-db", ["full"]));
    const pgbackrestMs = Number(
      /backup command end: completed successfully \((\d+)ms\)/.exec(backupLog)?.[1],
    );
    const stored = Number(/(\d+) bytes added to the repository/.exec(backupLog)?.[1]);
    const pausedMs = Number(/writers waited for (\d+)ms/.exec(backupLog)?.[1]);
    const scanMs = Number(/counted and checksummed \d+ tables in (\d+)ms/.exec(backupLog)?.[1]);

    const dumpFile = `${backup.path("scratch")}/dump.pgdump`;
    const dumpTaken = Number(await sql("SELECT extract(epoch FROM clock_timestamp())"));
    const [dumpSeconds] = await timed(async () =>
      ok(await pg("pg_dump", ["-Fc", "-f", dumpFile, DATABASE]), "pg_dump"),
    );
    await sql("CREATE DATABASE bench_restore", "postgres");
    const [pgRestoreSeconds] = await timed(async () =>
      ok(await pg("pg_restore", ["-j", "2", "-d", "bench_restore", dumpFile]), "pg_restore"),
    );
    await sql("DROP DATABASE bench_restore", "postgres");
    const dumpBytes = fs.statSync(dumpFile).size;
    fs.rmSync(dumpFile);

    // A writer commits a row every 100 ms; the host is lost after writerSeconds, with no forced
    // segment switch: only archive_timeout ships WAL.
    await sql("CREATE TABLE ticks (id bigserial PRIMARY KEY, at timestamptz NOT NULL)");
    const segment = await sql("SELECT pg_walfile_name(pg_switch_wal())", "postgres");
    await waitFor("the table in the archive", async () => {
      return (await sql("SELECT last_archived_wal FROM pg_stat_archiver", "postgres")) >= segment;
    });
    const writerStart = await sql("SELECT extract(epoch FROM clock_timestamp())");
    const writer = pg(
      "psql",
      [
        ...["-X", "-q", "-d", DATABASE, "-c"],
        `DO $$ BEGIN LOOP INSERT INTO ticks (at) VALUES (clock_timestamp()); COMMIT; PERFORM pg_sleep(0.1); END LOOP; END $$`,
      ],
      (writerSeconds + 30) * 1000,
    );
    await new Promise((resolve) => setTimeout(resolve, writerSeconds * 1000));
    const lastCommit = await sql("SELECT extract(epoch FROM max(at)) FROM ticks");
    await cluster.kill();
    await writer;
    fs.rmSync(cluster.dataDir, { recursive: true, force: true });

    const [restoreSeconds] = await timed(() => script("backup-restore", ["--latest"]));
    const [startSeconds] = await timed(async () => {
      await cluster.restart();
      await waitFor(
        "promotion",
        async () => (await sql("SELECT pg_is_in_recovery()", "postgres")) === "f",
        600000,
      );
    });
    const survived = await sql(
      `SELECT coalesce(extract(epoch FROM max(at)), ${writerStart}) FROM ticks`,
    );
    const lostSeconds = Number(lastCommit) - Number(survived);
    // The dump path restores the dump of this run: every commit after the dump began is gone.
    const dumpLostSeconds = Number(lastCommit) - dumpTaken;
    const recovery = restoreSeconds + startSeconds;
    const manualRecovery = pgRestoreSeconds;

    const f = (n: number) => n.toFixed(1);
    const lines = [
      `Backup benchmark on ${os.cpus().length} cores, ${f(os.totalmem() / 1024 ** 3)} GiB, PostgreSQL 15 and pgBackRest 2.45 from Debian`,
      `Database: pgbench scale ${scale}, ${f(size / 1024 ** 2)} MiB`,
      "",
      "| What | pgBackRest (this stack) | pg_dump -Fc / pg_restore -j 2 | Ratio (manual / pgBackRest) |",
      "| --- | --- | --- | --- |",
      `| Backup | ${f(backupSeconds)} s: pgBackRest ${f(pgbackrestMs / 1000)} s (full, start-fast, zst, process-max 2), then the manifest (checksums ${f(scanMs / 1000)} s; writers paused ${pausedMs} ms) | ${f(dumpSeconds)} s | ${f(dumpSeconds / backupSeconds)} |`,
      `| Stored | ${f(stored / 1024 ** 2)} MiB | ${f(dumpBytes / 1024 ** 2)} MiB | ${f(dumpBytes / stored)} |`,
      `| Restore until the database is open | ${f(recovery)} s (restore ${f(restoreSeconds)} s + start and replay ${f(startSeconds)} s) | ${f(manualRecovery)} s (pg_restore alone) | ${f(manualRecovery / recovery)} |`,
      `| Runbook's promise | under ${RESTORE_PROMISE_SECONDS} s: ${recovery < RESTORE_PROMISE_SECONDS ? "kept" : "missed"} | ${manualRecovery < RESTORE_PROMISE_SECONDS ? "kept" : "missed"} | |`,
      `| Commits lost at this crash | ${f(lostSeconds)} s | ${f(dumpLostSeconds)} s: everything since the dump of this run began | ${f(dumpLostSeconds / Math.max(lostSeconds, 0.1))} |`,
      `| Commits lost, worst case | ${ARCHIVE_TIMEOUT_SECONDS} s (archive_timeout) | ${DAILY_SECONDS} s with a dump at the runbook's daily cadence (02:00 UTC), ${DAILY_SECONDS / 2} s on average | ${f(DAILY_SECONDS / ARCHIVE_TIMEOUT_SECONDS)} |`,
      "",
      `Reproduce: npm run bench:backup -- --scale ${scale} --writer-seconds ${writerSeconds}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await cluster.destroy();
    backup.remove();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
