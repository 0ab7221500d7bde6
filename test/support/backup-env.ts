import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { PostgresCluster } from "./postgres-cluster";
import { CommandResult, execAsUser, requireBinary, run, tempDir } from "./processes";
import { readRendered, renderedStack } from "./rendered";

/** The scripts the backup image ships, run here byte for byte. */
export const BACKUP_BIN = path.join(__dirname, "..", "..", "images", "postgres-backup", "bin");
const PG_BIN = "/usr/lib/postgresql/15/bin";

/** Replaces the one line `key=value` of the rendered pgbackrest.conf whose key is `key`. */
function setOption(conf: string, key: string, value: string): string {
  const pattern = new RegExp(`^${key}=.*$`, "m");
  assert.equal(conf.split("\n").filter((l) => l.startsWith(`${key}=`)).length, 1, key);
  return conf.replace(pattern, `${key}=${value}`);
}

/**
 * A pgBackRest repository and the environment of the backup jobs for a test cluster: the
 * rendered pgbackrest.conf with only the paths and the port pointed at the test's directories,
 * and the variables the backup container sets, with the cipher pass as pgBackRest reads it.
 */
export class BackupEnv {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(renderedConf: string, cluster: PostgresCluster, database: string) {
    requireBinary("/usr/bin/pgbackrest", "pgbackrest");
    this.dir = tempDir("backup-env", "postgres");
    for (const sub of ["repo", "locks", "metrics", "pgbackrest-locks", "scratch", "home"]) {
      fs.mkdirSync(path.join(this.dir, sub));
      fs.chownSync(path.join(this.dir, sub), ...postgresIds(this.dir));
    }
    let conf = setOption(renderedConf, "repo1-path", this.path("repo"));
    conf = setOption(conf, "pg1-path", cluster.dataDir);
    conf = setOption(conf, "pg1-socket-path", cluster.dir);
    conf = setOption(conf, "pg1-port", String(cluster.port));
    fs.writeFileSync(this.path("pgbackrest.conf"), conf, { mode: 0o644 });
    this.env = {
      PATH: `${BACKUP_BIN}:${PG_BIN}:/usr/local/bin:/usr/bin:/bin`,
      HOME: this.path("home"),
      PGBACKREST_CONFIG: this.path("pgbackrest.conf"),
      PGBACKREST_LOCK_PATH: this.path("pgbackrest-locks"),
      PGBACKREST_REPO1_CIPHER_PASS: randomBytes(24).toString("hex"),
      PGBACKREST_STANZA: "waste",
      BACKUP_METRICS_DIR: this.path("metrics"),
      BACKUP_LOCK_DIR: this.path("locks"),
      BACKUP_SCRATCH_ROOT: this.path("scratch"),
      PGHOST: cluster.dir,
      PGPORT: String(cluster.port),
      PGUSER: "postgres",
      PGDATABASE: database,
      PGDATA: cluster.dataDir,
    };
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  /** The environment the server needs for archive_command: pgBackRest's config and secret. */
  get serverEnv(): NodeJS.ProcessEnv {
    const keys = ["PGBACKREST_CONFIG", "PGBACKREST_LOCK_PATH", "PGBACKREST_REPO1_CIPHER_PASS"];
    return Object.fromEntries(keys.map((key) => [key, this.env[key]]));
  }

  /** Runs a script of the image (or any command) as OS user postgres with the jobs' environment. */
  script(name: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, timeoutMs = 120000) {
    const file = fs.existsSync(path.join(BACKUP_BIN, name)) ? path.join(BACKUP_BIN, name) : name;
    const [command, argv] = execAsUser("postgres", file, args);
    return run(command, argv, { env: { ...this.env, ...env }, timeoutMs });
  }

  /** The text of a metrics file the jobs wrote. */
  metrics(file: string): string {
    return fs.readFileSync(path.join(this.path("metrics"), `${file}.prom`), "utf8");
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function postgresIds(dir: string): [number, number] {
  const { uid, gid } = fs.statSync(dir);
  return [uid, gid];
}

/** The value of one sample in Prometheus text, or undefined. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The output of a script that must succeed, with its whole output in the failure message. */
export function succeeded(result: CommandResult, what: string): string {
  assert.equal(
    result.code,
    0,
    `${what} exited ${result.code}:\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

/**
 * A PostgreSQL 15 cluster running the dev stack's rendered postgresql.conf and pg_hba.conf, and
 * archiving through pgBackRest into a repository set up from its rendered pgbackrest.conf. A
 * cluster that fails to start is destroyed before the error goes on.
 */
export async function startArchivingCluster(
  name: string,
  database: string,
): Promise<{ cluster: PostgresCluster; backup: BackupEnv; rendered: string }> {
  const rendered = await renderedStack("dev");
  const cluster = await PostgresCluster.create(name);
  const backup = new BackupEnv(readRendered(rendered, "backup/pgbackrest.conf"), cluster, database);
  try {
    await cluster.start(
      readRendered(rendered, "postgres/postgresql.conf"),
      readRendered(rendered, "postgres/pg_hba.conf"),
      backup.serverEnv,
    );
  } catch (error) {
    await cluster.destroy();
    backup.remove();
    throw error;
  }
  return { cluster, backup, rendered };
}
