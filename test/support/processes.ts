import { ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** Fails with the Debian package to install when a server binary the tests need is missing. */
export function requireBinary(file: string, debianPackage: string): string {
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing: install it with \`apt-get install ${debianPackage}\` (.ci/run does)`,
    );
  }
  return file;
}

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A temporary directory, owned by `owner` when given (PostgreSQL refuses to run as root). */
export function tempDir(prefix: string, owner?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(dir, 0o755);
  if (owner && isRoot()) {
    const { uid, gid } = userIds(owner);
    fs.chownSync(dir, uid, gid);
  }
  return dir;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function userIds(user: string): { uid: number; gid: number } {
  const line = fs
    .readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith(`${user}:`));
  if (!line) {
    throw new Error(`user ${user} does not exist; is its Debian package installed?`);
  }
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Command and arguments that run as `user` when the tests run as root, as themselves otherwise. */
export function asUser(user: string, command: string, args: string[]): [string, string[]] {
  return isRoot() ? ["runuser", ["-u", user, "--", command, ...args]] : [command, args];
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws on a non-zero exit, the caller asserts. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      {
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 30000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) {
      child.stdin?.end(options.input);
    }
  });
}

/** A server started by a test, stopped by its pid. */
export class ServerProcess {
  private readonly child: ChildProcess;
  private output = "";

  constructor(command: string, args: string[], env?: NodeJS.ProcessEnv) {
    this.child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  get log(): string {
    return this.output;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Sends `signal` to the pid and waits for the exit, escalating to SIGKILL after a while. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10000): Promise<void> {
    if (this.exited || this.child.pid === undefined) {
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    process.kill(this.child.pid, signal);
    const timer = setTimeout(() => {
      if (!this.exited && this.child.pid !== undefined) {
        process.kill(this.child.pid, "SIGKILL");
      }
    }, graceMs);
    await exited;
    clearTimeout(timer);
  }
}

export interface StartOptions {
  /** What the server is, for messages: "PostgreSQL on port 5433". */
  name: string;
  /** True once the server answers; an exception counts as "not yet". */
  ready: () => Promise<boolean> | boolean;
  env?: NodeJS.ProcessEnv;
  /** The signal that shuts the server down cleanly. */
  stopSignal?: NodeJS.Signals;
  timeoutMs?: number;
}

/**
 * Starts a server and waits until it is ready. A server that exits first fails at once with its
 * output, and one that never gets ready is stopped before the error is raised.
 */
export async function startServer(
  command: string,
  args: string[],
  options: StartOptions,
): Promise<ServerProcess> {
  const server = new ServerProcess(command, args, options.env);
  try {
    await waitFor(
      options.name,
      async () => {
        if (server.exited) {
          throw new ExitedError(`${options.name} exited:\n${server.log}`);
        }
        return await options.ready();
      },
      options.timeoutMs,
    );
  } catch (error) {
    await server.stop(options.stopSignal);
    throw error;
  }
  return server;
}

/** A failure that waiting longer cannot mend. */
class ExitedError extends Error {}

/** Polls `check` until it returns true, failing with `what` and the last error after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) {
        return;
      }
    } catch (error) {
      if (error instanceof ExitedError) {
        throw error;
      }
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const detail = lastError instanceof Error ? `: ${lastError.message}` : "";
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

/** True once something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Like `asUser`, but the command replaces the wrapper instead of running as its child, so the
 * pid a ServerProcess holds is the server's own: runuser (util-linux 2.38) keeps the server as its
 * child and does not pass SIGINT on, so PostgreSQL's fast shutdown would never arrive.
 */
export function execAsUser(user: string, command: string, args: string[]): [string, string[]] {
  if (!isRoot()) {
    return [command, args];
  }
  const { uid, gid } = userIds(user);
  return ["setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "--", command, ...args]];
}
