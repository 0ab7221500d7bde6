import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  asUser,
  CommandResult,
  execAsUser,
  freePort,
  requireBinary,
  run,
  ServerProcess,
  startServer,
  tempDir,
} from "./processes";

const BIN = "/usr/lib/postgresql/15/bin";
const POSTGRES = `${BIN}/postgres`;
const INITDB = `${BIN}/initdb`;
const PSQL = `${BIN}/psql`;
const PG_ISREADY = `${BIN}/pg_isready`;
const SERVER_START_MS = 30000;

/** The stdout of a command that must succeed, trimmed; the failure message carries stderr. */
export function ok(result: CommandResult, what: string): string {
  assert.equal(result.code, 0, `${what} failed:\n${result.stderr}`);
  return result.stdout.trim();
}

/**
 * A throwaway cluster of Debian's PostgreSQL 15 on loopback, run by the OS user postgres from a
 * temporary directory, with the rendered postgresql.conf and pg_hba.conf given as files.
 */
export class PostgresCluster {
  private server: ServerProcess | undefined;
  /** Extra environment of the server, e.g. where archive_command's pgBackRest finds its config. */
  private env: NodeJS.ProcessEnv = {};

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** initdb with the container's POSTGRES_INITDB_ARGS; the server is not started yet. */
  static async create(prefix: string): Promise<PostgresCluster> {
    for (const binary of [POSTGRES, INITDB, PSQL, PG_ISREADY]) {
      requireBinary(binary, "postgresql-15");
    }
    const cluster = new PostgresCluster(tempDir(prefix, "postgres"), await freePort());
    // initdb wants a superuser password with --auth-host=scram-sha-256, as POSTGRES_PASSWORD is.
    const passwordFile = path.join(cluster.dir, "superuser-password");
    fs.writeFileSync(passwordFile, randomBytes(24).toString("hex"), { mode: 0o644 });
    const [command, args] = asUser("postgres", INITDB, [
      ...["-D", cluster.dataDir, "--username=postgres", `--pwfile=${passwordFile}`],
      // The image's en_US.utf8 locale is not installed here.
      ...["--data-checksums", "--auth-local=peer", "--auth-host=scram-sha-256"],
      ...["--encoding=UTF8", "--no-locale"],
    ]);
    const result = await run(command, args, { timeoutMs: 60000 });
    fs.rmSync(passwordFile);
    ok(result, "initdb");
    return cluster;
  }

  get dataDir(): string {
    return path.join(this.dir, "data");
  }

  /** Everything the running server has logged. */
  get log(): string {
    return this.server?.log ?? "";
  }

  /** Starts the server with these files' text; only port, address and socket are overridden. */
  async start(conf: string, hba: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
    fs.writeFileSync(path.join(this.dir, "postgresql.conf"), conf);
    fs.writeFileSync(path.join(this.dir, "pg_hba.conf"), hba);
    this.env = env;
    await this.restart();
  }

  /** Starts the server again with the files `start` wrote. */
  async restart(): Promise<void> {
    const [command, args] = execAsUser("postgres", POSTGRES, [
      ...["-D", this.dataDir, "-c", `config_file=${path.join(this.dir, "postgresql.conf")}`],
      ...["-c", `hba_file=${path.join(this.dir, "pg_hba.conf")}`],
      ...["-c", `port=${this.port}`, "-c", "listen_addresses=127.0.0.1"],
      ...["-c", `unix_socket_directories=${this.dir}`],
    ]);
    this.server = await startServer(command, args, {
      name: `PostgreSQL on port ${this.port}`,
      env: this.env,
      ready: async () =>
        (await run(PG_ISREADY, ["-h", "127.0.0.1", "-p", String(this.port)])).code === 0,
      stopSignal: "SIGINT",
      timeoutMs: SERVER_START_MS,
    });
  }

  /** SIGINT is PostgreSQL's fast shutdown, the container's stopSignal. */
  async stop(): Promise<void> {
    await this.server?.stop("SIGINT", 30000);
  }

  /** Kills the server with SIGKILL, as a crash of the host would: no shutdown checkpoint. */
  async kill(): Promise<void> {
    await this.server?.stop("SIGKILL");
  }

  /** Stops the server and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** psql as the superuser over the unix socket, as OS user postgres (peer authentication). */
  superuser(database: string, sql: string): Promise<CommandResult> {
    const [command, args] = asUser("postgres", PSQL, [
      ...["-h", this.dir, "-p", String(this.port), "-U", "postgres", "-d", database],
      ...["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", "-"],
    ]);
    return run(command, args, { input: sql });
  }

  /** psql as `role` over TCP on 127.0.0.1 with a password, the way the containers log in. */
  withPassword(
    role: string,
    password: string,
    sql: string,
    database: string,
  ): Promise<CommandResult> {
    const args = [
      ...["-h", "127.0.0.1", "-p", String(this.port), "-U", role, "-d", database],
      ...["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
    ];
    return run(PSQL, args, { env: { PGPASSWORD: password, PGCONNECT_TIMEOUT: "10" } });
  }
}
