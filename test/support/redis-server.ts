import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CommandResult, requireBinary, run, ServerProcess, startServer } from "./processes";

const REDIS_SERVER = "/usr/bin/redis-server";
const REDIS_CLI = "/usr/bin/redis-cli";

/** Who redis-cli logs in as: nobody (the `default` user) or a user with a password. */
export type Login = { user: string; password: string } | undefined;

/** Runs one redis-cli command; redis-cli exits 0 on error replies, so callers read stdout. */
export function redisCli(port: number, login: Login, args: string[]): Promise<CommandResult> {
  requireBinary(REDIS_CLI, "redis-tools");
  const auth = login ? ["--user", login.user, "--pass", login.password] : [];
  return run(REDIS_CLI, ["-p", String(port), ...auth, "--no-auth-warning", ...args]);
}

export async function reply(port: number, login: Login, args: string[]): Promise<string> {
  return (await redisCli(port, login, args)).stdout.trim();
}

/**
 * Redis applies `dir` while it parses the file (it changes directory at once), so a missing /data
 * is fatal before a later `--dir` could replace it; that one line is pointed at the test's
 * directory, everything else stays byte for byte.
 */
function withDataDir(conf: string, dir: string): string {
  const lines = conf.split("\n");
  const index = lines.indexOf("dir /data");
  assert.ok(index >= 0 && lines.lastIndexOf("dir /data") === index, "expected one `dir /data`");
  lines[index] = `dir ${dir}`;
  return lines.join("\n");
}

/** Writes the rendered redis.conf and users.acl into `dir`, adapted only where `withDataDir` says. */
export function writeRedisFiles(dir: string, conf: string, acl: string): void {
  fs.writeFileSync(path.join(dir, "redis.conf"), withDataDir(conf, dir));
  fs.writeFileSync(path.join(dir, "users.acl"), acl, { mode: 0o600 });
}

/** Starts Debian's redis-server on loopback with the files `writeRedisFiles` put in `dir`. */
export async function startRedis(dir: string, port: number): Promise<ServerProcess> {
  requireBinary(REDIS_SERVER, "redis-server");
  return startServer(
    REDIS_SERVER,
    [
      path.join(dir, "redis.conf"),
      ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
      ...["--aclfile", path.join(dir, "users.acl"), "--daemonize", "no"],
    ],
    {
      name: `redis-server on port ${port}`,
      ready: async () => (await reply(port, undefined, ["ping"])) === "PONG",
    },
  );
}
