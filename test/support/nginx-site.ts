import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";
import {
  NGINX_CONTAINER_PORTS,
  NginxSettingsInput,
  renderNginxConf,
} from "../../components/nginx/settings";
import {
  CommandResult,
  freePort,
  portOpen,
  requireBinary,
  run,
  ServerProcess,
  startServer,
  tempDir,
} from "./processes";
import { closeHttpServer } from "./http-server";
import { devProgram, one, plainInputs } from "./program";

// The live nginx specs start the real Debian nginx on loopback with the exact text that
// renderNginxConf returns; only listen addresses, upstreams and the certificate paths are adapted
// to the test machine.
export const NGINX = "/usr/sbin/nginx";
export const OPENSSL = "/usr/bin/openssl";
export const REQUEST_TIMEOUT_MS = 10000;

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The negotiated TLS version, null over plain HTTP. */
  tlsVersion: string | null;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Source address of the connection, any 127.0.0.0/8 address works on Linux loopback. */
  localAddress?: string;
  /** Pins both the lowest and the highest TLS version the client offers. */
  tlsVersion?: tls.SecureVersion;
}

/** One request on a fresh connection, so source address and TLS version apply to it alone. */
export function request(url: string, options: RequestOptions = {}): Promise<Reply> {
  const target = new URL(url);
  const settings: https.RequestOptions = {
    agent: false,
    headers: options.headers,
    localAddress: options.localAddress,
    timeout: REQUEST_TIMEOUT_MS,
    rejectUnauthorized: false,
    minVersion: options.tlsVersion,
    maxVersion: options.tlsVersion,
  };
  return new Promise((resolve, reject) => {
    const onReply = (response: http.IncomingMessage) => {
      const socket = response.socket;
      const tlsVersion = socket instanceof tls.TLSSocket ? socket.getProtocol() : null;
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, tlsVersion }),
      );
      response.on("error", reject);
    };
    const sent =
      target.protocol === "https:"
        ? https.request(target, settings, onReply)
        : http.request(target, settings, onReply);
    sent.on("timeout", () => sent.destroy(new Error(`no reply from ${url} in time`)));
    sent.on("error", reject);
    sent.end();
  });
}

/** A bare TLS handshake offering exactly `version`; resolves with the negotiated version. */
export function handshake(
  port: number,
  version: tls.SecureVersion,
  ciphers?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      minVersion: version,
      maxVersion: version,
      ciphers,
      rejectUnauthorized: false,
      timeout: REQUEST_TIMEOUT_MS,
    });
    socket.once("secureConnect", () => {
      resolve(socket.getProtocol() ?? "unknown");
      socket.destroy();
    });
    socket.once("timeout", () => socket.destroy(new Error("TLS handshake timed out")));
    socket.once("error", reject);
  });
}

/** `openssl s_client` offering TLS 1.2 with exactly `ciphers`; it exits non-zero on a refusal. */
export function sClient(port: number, ciphers: string): Promise<CommandResult> {
  return run(
    OPENSSL,
    [
      ...["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost"],
      ...["-tls1_2", "-cipher", ciphers],
    ],
    { input: "" },
  );
}

/**
 * Runs the health check the stack gives the nginx container, the way Docker does (CMD-SHELL
 * through /bin/sh), against `statusPort` with only `tool` of wget and curl on the PATH.
 */
export async function healthCheck(statusPort: number, tool: string): Promise<CommandResult> {
  const { resources } = await devProgram();
  const { tests } = plainInputs(one(resources, "nginx-container")).healthcheck as {
    tests: string[];
  };
  const bin = tempDir(`only-${tool}`);
  try {
    fs.symlinkSync(`/usr/bin/${tool}`, path.join(bin, tool));
    const adapt = (arg: string) =>
      arg.replaceAll(`:${NGINX_CONTAINER_PORTS.status}/`, `:${statusPort}/`);
    const [command, args] =
      tests[0] === "CMD-SHELL"
        ? ["/bin/sh", ["-c", adapt(tests[1])]]
        : [tests[1], tests.slice(2).map(adapt)];
    return await run(command, args, { env: { PATH: bin }, timeoutMs: 10000 });
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
}

/** What an upstream stand-in saw of a request nginx forwarded to it. */
export interface Echo {
  upstream: string;
  uri: string;
  forwardedProto: string | null;
  realIp: string | null;
  requestId: string | null;
}

/** A node:http server standing in for the backend or frontend; it echoes what nginx sent. */
export class StandIn {
  private constructor(
    readonly server: http.Server,
    readonly address: string,
  ) {}

  static async start(name: string, host = "127.0.0.1", port = 0): Promise<StandIn> {
    const header = (request: http.IncomingMessage, key: string) => {
      const value = request.headers[key];
      return typeof value === "string" ? value : null;
    };
    const server = http.createServer((request, response) => {
      const echo: Echo = {
        upstream: name,
        uri: request.url ?? "",
        forwardedProto: header(request, "x-forwarded-proto"),
        realIp: header(request, "x-real-ip"),
        requestId: header(request, "x-request-id"),
      };
      response.setHeader("Content-Type", "application/json");
      response.end(JSON.stringify(echo));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
    const bound = (server.address() as net.AddressInfo).port;
    return new StandIn(server, `${host}:${bound}`);
  }

  /** Closes nginx's idle keepalive connections too, or close() would wait for them. */
  stop(): Promise<void> {
    return closeHttpServer(this.server);
  }
}

export interface ListenPorts {
  http: number;
  https: number;
  status: number;
}

/** Three different free loopback ports. */
export async function listenPorts(): Promise<ListenPorts> {
  const ports = new Set<number>();
  while (ports.size < 3) {
    ports.add(await freePort());
  }
  const [httpPort, httpsPort, statusPort] = [...ports];
  return { http: httpPort, https: httpsPort, status: statusPort };
}

/** Everything an instance needs besides the settings under test. */
export interface Site {
  dir: string;
  certificateFile: string;
  keyFile: string;
  backend: string;
  frontend: string;
}

/**
 * Prepares a site in a new temporary directory: checks nginx and openssl are installed and makes
 * a throwaway self-signed certificate, whose chain the tests never verify.
 */
export async function prepareSite(site: Site, name: string): Promise<void> {
  requireBinary(NGINX, "nginx");
  requireBinary(OPENSSL, "openssl");
  site.dir = tempDir(name);
  site.certificateFile = path.join(site.dir, "server.crt");
  site.keyFile = path.join(site.dir, "server.key");
  const certificate = await run(OPENSSL, [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
    ...["-subj", "/CN=localhost", "-keyout", site.keyFile, "-out", site.certificateFile],
  ]);
  assert.equal(certificate.code, 0, certificate.stderr);
}

/** Settings as production renders them, with addresses moved onto loopback. */
export function settingsFor(
  site: Site,
  ports: ListenPorts,
  overrides: Partial<NginxSettingsInput> = {},
): NginxSettingsInput {
  return {
    serverName: "localhost",
    backendUpstream: site.backend,
    frontendUpstream: site.frontend,
    // Upstreams are addresses here, which nginx uses without asking the resolver.
    resolver: "127.0.0.1",
    listen: {
      http: `127.0.0.1:${ports.http}`,
      https: `127.0.0.1:${ports.https}`,
      status: `127.0.0.1:${ports.status}`,
    },
    publicHttpsPort: ports.https,
    certificateFile: site.certificateFile,
    keyFile: site.keyFile,
    denyList: [],
    trustedProxies: [],
    rateLimitPerSecond: 1000,
    rateLimitBurst: 1000,
    statusAllowFrom: [],
    ...overrides,
  };
}

/** Writes the rendered config and returns its path and the pid directive nginx needs beside it. */
export function writeConf(
  site: Site,
  name: string,
  settings: NginxSettingsInput,
): [string, string] {
  const file = path.join(site.dir, `${name}.conf`);
  fs.writeFileSync(file, renderNginxConf(settings));
  return [file, `pid ${path.join(site.dir, `${name}.pid`)};`];
}

/**
 * `command` with its stdout appended to `file`, through an `exec` that keeps the pid. Node's stdio
 * pipes are Unix sockets, and nginx 1.22 cannot open /dev/stdout on a socket (ENXIO); a file
 * behaves like the pipe Docker gives a container.
 */
export function stdoutTo(file: string, command: string, args: string[]): [string, string[]] {
  return ["sh", ["-c", 'exec "$@" >>"$0"', file, command, ...args]];
}

/** An nginx master in the foreground; the error log is in the process log, access log in a file. */
export interface RunningNginx {
  process: ServerProcess;
  /** The file nginx's stdout, and so its JSON access log, goes to. */
  accessLog: string;
  ports: ListenPorts;
  httpUrl: string;
  httpsUrl: string;
}

export async function startNginx(
  site: Site,
  name: string,
  overrides: Partial<NginxSettingsInput>,
): Promise<RunningNginx> {
  const ports = await listenPorts();
  const [file, pid] = writeConf(site, name, settingsFor(site, ports, overrides));
  const accessLog = path.join(site.dir, `${name}.stdout`);
  const args = ["-c", file, "-e", "stderr", "-g", `${pid} daemon off;`];
  const [command, commandArgs] = stdoutTo(accessLog, NGINX, args);
  const nginx = await startServer(command, commandArgs, {
    name: `nginx ${name}`,
    ready: async () => {
      const open = await Promise.all(
        [ports.http, ports.https, ports.status].map((p) => portOpen(p)),
      );
      return open.every(Boolean);
    },
  });
  return {
    process: nginx,
    accessLog,
    ports,
    httpUrl: `http://127.0.0.1:${ports.http}`,
    httpsUrl: `https://127.0.0.1:${ports.https}`,
  };
}

/** Every line the instance logged per request is one JSON object with the keys queries rely on. */
export function assertJsonAccessLog(nginx: RunningNginx): void {
  const output = fs.readFileSync(nginx.accessLog, "utf8");
  const lines = output.split("\n").filter((line) => line !== "");
  assert.ok(
    lines.length > 0,
    `nginx wrote no access-log line; its other output:\n${nginx.process.log}`,
  );
  for (const line of lines) {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      assert.fail(`access-log line is not JSON: ${line}`);
    }
    for (const key of ["time", "client", "status", "uri", "request_id"]) {
      assert.ok(key in entry, `access-log line lacks "${key}": ${line}`);
    }
  }
}

export function echoOf(reply: Reply): Echo {
  assert.equal(reply.status, 200, `expected 200, got ${reply.status}: ${reply.body}`);
  return JSON.parse(reply.body) as Echo;
}
