import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";
import * as fc from "fast-check";
import { validateSettings } from "../components/config/load";
import { CLOUDFLARE_RANGES } from "../components/nginx/cloudflare";
import {
  NGINX_CONTAINER_PORTS,
  NginxSettingsInput,
  renderNginxConf,
} from "../components/nginx/settings";
import {
  CommandResult,
  freePort,
  portOpen,
  requireBinary,
  run,
  ServerProcess,
  startServer,
  tempDir,
} from "./support/processes";
import { devProgram, one, plainInputs } from "./support/program";

// These specs start the real Debian nginx on loopback with the exact text renderNginxConf returns;
// only listen addresses, upstreams and the certificate paths are adapted to the test machine.
const NGINX = "/usr/sbin/nginx";
const OPENSSL = "/usr/bin/openssl";
const REQUEST_TIMEOUT_MS = 10000;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The negotiated TLS version, null over plain HTTP. */
  tlsVersion: string | null;
}

interface RequestOptions {
  headers?: Record<string, string>;
  /** Source address of the connection, any 127.0.0.0/8 address works on Linux loopback. */
  localAddress?: string;
  /** Pins both the lowest and the highest TLS version the client offers. */
  tlsVersion?: tls.SecureVersion;
}

/** One request on a fresh connection, so source address and TLS version apply to it alone. */
function request(url: string, options: RequestOptions = {}): Promise<Reply> {
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
function handshake(port: number, version: tls.SecureVersion, ciphers?: string): Promise<string> {
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
function sClient(port: number, ciphers: string): Promise<CommandResult> {
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
async function healthCheck(statusPort: number, tool: string): Promise<CommandResult> {
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
interface Echo {
  upstream: string;
  uri: string;
  forwardedProto: string | null;
  realIp: string | null;
  requestId: string | null;
}

/** A node:http server standing in for the backend or frontend; it echoes what nginx sent. */
class StandIn {
  private constructor(
    readonly server: http.Server,
    readonly address: string,
  ) {}

  static async start(name: string): Promise<StandIn> {
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
      server.listen(0, "127.0.0.1", resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    return new StandIn(server, `127.0.0.1:${port}`);
  }

  /** Closes nginx's idle keepalive connections too, or close() would wait for them. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

interface ListenPorts {
  http: number;
  https: number;
  status: number;
}

/** Three different free loopback ports. */
async function listenPorts(): Promise<ListenPorts> {
  const ports = new Set<number>();
  while (ports.size < 3) {
    ports.add(await freePort());
  }
  const [httpPort, httpsPort, statusPort] = [...ports];
  return { http: httpPort, https: httpsPort, status: statusPort };
}

/** Everything an instance needs besides the settings under test. */
interface Site {
  dir: string;
  certificateFile: string;
  keyFile: string;
  backend: string;
  frontend: string;
}

/** Settings as production renders them, with addresses moved onto loopback. */
function settingsFor(
  site: Site,
  ports: ListenPorts,
  overrides: Partial<NginxSettingsInput> = {},
): NginxSettingsInput {
  return {
    serverName: "localhost",
    backendUpstream: site.backend,
    frontendUpstream: site.frontend,
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
function writeConf(site: Site, name: string, settings: NginxSettingsInput): [string, string] {
  const file = path.join(site.dir, `${name}.conf`);
  fs.writeFileSync(file, renderNginxConf(settings));
  return [file, `pid ${path.join(site.dir, `${name}.pid`)};`];
}

/**
 * `command` with its stdout appended to `file`, through an `exec` that keeps the pid. Node's stdio
 * pipes are Unix sockets, and nginx 1.22 cannot open /dev/stdout on a socket (ENXIO); a file
 * behaves like the pipe Docker gives a container.
 */
function stdoutTo(file: string, command: string, args: string[]): [string, string[]] {
  return ["sh", ["-c", 'exec "$@" >>"$0"', file, command, ...args]];
}

/** An nginx master in the foreground; the error log is in the process log, access log in a file. */
interface RunningNginx {
  process: ServerProcess;
  /** The file nginx's stdout, and so its JSON access log, goes to. */
  accessLog: string;
  ports: ListenPorts;
  httpUrl: string;
  httpsUrl: string;
}

async function startNginx(
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
function assertJsonAccessLog(nginx: RunningNginx): void {
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

function echoOf(reply: Reply): Echo {
  assert.equal(reply.status, 200, `expected 200, got ${reply.status}: ${reply.body}`);
  return JSON.parse(reply.body) as Echo;
}

describe("nginx serving the rendered nginx.conf", () => {
  const site: Site = { dir: "", certificateFile: "", keyFile: "", backend: "", frontend: "" };
  const standIns: StandIn[] = [];

  before(async () => {
    requireBinary(NGINX, "nginx");
    requireBinary(OPENSSL, "openssl");
    site.dir = tempDir("nginx-live");
    site.certificateFile = path.join(site.dir, "server.crt");
    site.keyFile = path.join(site.dir, "server.key");

    // A throwaway self-signed certificate; the tests never verify the chain.
    const certificate = await run(OPENSSL, [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ...["-subj", "/CN=localhost", "-keyout", site.keyFile, "-out", site.certificateFile],
    ]);
    assert.equal(certificate.code, 0, certificate.stderr);

    const backend = await StandIn.start("backend");
    standIns.push(backend);
    const frontend = await StandIn.start("frontend");
    standIns.push(frontend);
    site.backend = backend.address;
    site.frontend = frontend.address;
  });

  after(async () => {
    await Promise.all(standIns.map((standIn) => standIn.stop()));
    if (site.dir) {
      fs.rmSync(site.dir, { recursive: true, force: true });
    }
  });

  describe("nginx -t", () => {
    async function check(name: string, overrides: Partial<NginxSettingsInput>) {
      const [file, pid] = writeConf(site, name, settingsFor(site, await listenPorts(), overrides));
      const args = ["-t", "-c", file, "-e", "stderr", "-g", pid];
      const result = await run(...stdoutTo("/dev/null", NGINX, args));
      assert.equal(result.code, 0, `nginx -t refused ${name}.conf:\n${result.stderr}`);
    }

    it("accepts the rendered configuration", async () => {
      await check("syntax-plain", {});
    });

    it("accepts Cloudflare's ranges as proxies and IPv4, CIDR and IPv6 deny entries", async () => {
      await check("syntax-cloudflare", {
        trustedProxies: CLOUDFLARE_RANGES,
        denyList: ["192.0.2.7", "198.51.100.0/24", "2001:db8::/32"],
      });
    });

    it("accepts every deny-list entry the configuration accepts (50 drawn by fast-check)", async () => {
      // Every form ipaddr.js reads is offered, zone ids and mapped IPv4 included; the validator
      // decides which reach nginx, and a counterexample shrinks to the one entry nginx refused.
      const address = fc.oneof(
        fc.ipV4(),
        fc.ipV4Extended(),
        fc.ipV6(),
        fc.ipV6().map((a) => a.toUpperCase()),
        fc.ipV4().map((a) => `::ffff:${a}`),
        fc.tuple(fc.ipV6(), fc.stringMatching(/^[a-z0-9]{1,6}$/)).map(([a, z]) => `${a}%${z}`),
      );
      const entry = fc
        .oneof(
          address,
          fc.tuple(address, fc.integer({ min: 0, max: 130 })).map(([a, bits]) => `${a}/${bits}`),
        )
        .filter((candidate) => {
          const raw = JSON.stringify([candidate]);
          return (
            validateSettings((key) => (key === "denyList" ? raw : undefined)).problems.length === 0
          );
        });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(entry, { minLength: 50, maxLength: 50 }), async (denyList) => {
          await check(`syntax-deny-list-${run++}`, { denyList });
        }),
        { numRuns: 1 },
      );
    });
  });

  describe("with no trusted proxy and 127.0.0.2 on the deny list", () => {
    let nginx: RunningNginx | undefined;
    const running = () => nginx as RunningNginx;

    before(async () => {
      nginx = await startNginx(site, "edge", { denyList: ["127.0.0.2"] });
    });

    after(async () => {
      await nginx?.process.stop();
    });

    it("redirects plain HTTP to HTTPS on the public port", async () => {
      const reply = await request(`${running().httpUrl}/some/path?x=1`, {
        headers: { Host: "localhost" },
      });
      assert.equal(reply.status, 301);
      assert.equal(
        reply.headers.location,
        `https://localhost:${running().ports.https}/some/path?x=1`,
      );
    });

    it("serves HTTPS over TLS 1.2", async () => {
      const reply = await request(`${running().httpsUrl}/`, { tlsVersion: "TLSv1.2" });
      assert.equal(reply.status, 200);
      assert.equal(reply.tlsVersion, "TLSv1.2");
    });

    it("serves HTTPS over TLS 1.3", async () => {
      const reply = await request(`${running().httpsUrl}/`, { tlsVersion: "TLSv1.3" });
      assert.equal(reply.status, 200);
      assert.equal(reply.tlsVersion, "TLSv1.3");
    });

    for (const version of ["TLSv1.1", "TLSv1"] as const) {
      it(`answers a client offering only ${version} with a protocol-version alert`, async () => {
        // SECLEVEL=0 lets this client's OpenSSL offer the old versions, so the refusal is nginx's.
        await assert.rejects(
          handshake(running().ports.https, version, "DEFAULT@SECLEVEL=0"),
          (error: NodeJS.ErrnoException) => {
            assert.equal(error.code, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", error.message);
            return true;
          },
        );
      });
    }

    // Mozilla's intermediate profile: TLS 1.2 only with forward-secret AEAD suites. SECLEVEL=0
    // lets this client offer the weak suites, so the refusal is nginx's.
    for (const [cipher, kind] of [
      ["AES128-SHA256", "CBC without forward secrecy"],
      ["ECDHE-RSA-AES128-SHA", "CBC"],
      ["AES128-GCM-SHA256", "AEAD without forward secrecy"],
    ] as const) {
      it(`refuses a TLS 1.2 client offering only ${cipher} (${kind})`, async () => {
        const result = await sClient(running().ports.https, `${cipher}:@SECLEVEL=0`);
        assert.notEqual(result.code, 0, result.stdout);
        assert.match(result.stderr, /alert handshake failure/);
      });
    }

    it("accepts a TLS 1.2 client offering only ECDHE-RSA-AES128-GCM-SHA256", async () => {
      const result = await sClient(running().ports.https, "ECDHE-RSA-AES128-GCM-SHA256");
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Cipher is ECDHE-RSA-AES128-GCM-SHA256/);
    });

    // Docker runs the check inside the image: Alpine's has busybox wget, Debian's has curl.
    for (const tool of ["wget", "curl"]) {
      it(`passes the container's health check with only ${tool} on the PATH`, async () => {
        const result = await healthCheck(running().ports.status, tool);
        assert.equal(result.code, 0, result.stderr);
      });
    }

    it("fails the container's health check when stub_status does not answer", async () => {
      const closed = await freePort();
      for (const tool of ["wget", "curl"]) {
        assert.notEqual((await healthCheck(closed, tool)).code, 0, tool);
      }
    });

    it("sends HSTS and the other security headers and hides its version", async () => {
      const reply = await request(`${running().httpsUrl}/`);
      assert.equal(reply.headers["strict-transport-security"], "max-age=63072000");
      assert.equal(reply.headers["x-content-type-options"], "nosniff");
      assert.equal(reply.headers["x-frame-options"], "DENY");
      assert.equal(reply.headers["referrer-policy"], "strict-origin-when-cross-origin");
      assert.equal(
        reply.headers["permissions-policy"],
        "geolocation=(self), camera=(), microphone=()",
      );
      assert.doesNotMatch(String(reply.headers.server), /nginx\/\d/);
    });

    it("routes /api/ to the backend with the client address, https and a request id", async () => {
      const echo = echoOf(await request(`${running().httpsUrl}/api/anything`));
      assert.equal(echo.upstream, "backend");
      assert.equal(echo.uri, "/api/anything");
      assert.equal(echo.forwardedProto, "https");
      assert.equal(echo.realIp, "127.0.0.1");
      assert.match(echo.requestId ?? "", /^[0-9a-f]{32}$/);
    });

    it("routes everything else to the frontend", async () => {
      const echo = echoOf(await request(`${running().httpsUrl}/`));
      assert.equal(echo.upstream, "frontend");
      assert.equal(echo.forwardedProto, "https");
    });

    it("refuses a denied client with 403 on both ports", async () => {
      const fromDenied = { localAddress: "127.0.0.2" };
      assert.equal((await request(`${running().httpUrl}/`, fromDenied)).status, 403);
      assert.equal((await request(`${running().httpsUrl}/`, fromDenied)).status, 403);
    });

    it("lets a client that is not denied through on both ports", async () => {
      const fromAllowed = { localAddress: "127.0.0.1" };
      assert.equal((await request(`${running().httpUrl}/`, fromAllowed)).status, 301);
      assert.equal((await request(`${running().httpsUrl}/`, fromAllowed)).status, 200);
    });

    it("ignores CF-Connecting-IP when no proxy is trusted", async () => {
      const reply = await request(`${running().httpsUrl}/api/whoami`, {
        headers: { "CF-Connecting-IP": "198.51.100.4" },
      });
      assert.equal(echoOf(reply).realIp, "127.0.0.1");
    });

    it("answers stub_status on the status port to loopback", async () => {
      const reply = await request(`http://127.0.0.1:${running().ports.status}/nginx_status`);
      assert.equal(reply.status, 200);
      assert.match(reply.body, /^Active connections: \d+/);
    });

    it("refuses stub_status to any other address", async () => {
      const reply = await request(`http://127.0.0.1:${running().ports.status}/nginx_status`, {
        localAddress: "127.0.0.3",
      });
      assert.equal(reply.status, 403);
    });

    it("writes every access-log line as JSON with time, client, status, uri and request_id", () => {
      assertJsonAccessLog(running());
    });
  });

  describe("behind a trusted proxy on 127.0.0.1 with 203.0.113.0/24 denied", () => {
    // In production the trusted proxies are CLOUDFLARE_RANGES; here loopback plays Cloudflare.
    let nginx: RunningNginx | undefined;
    const running = () => nginx as RunningNginx;

    before(async () => {
      nginx = await startNginx(site, "cloudflare", {
        trustedProxies: ["127.0.0.1"],
        denyList: ["203.0.113.0/24"],
      });
    });

    after(async () => {
      await nginx?.process.stop();
    });

    it("refuses a denied client named by CF-Connecting-IP with 403", async () => {
      const reply = await request(`${running().httpsUrl}/api/whoami`, {
        headers: { "CF-Connecting-IP": "203.0.113.9" },
      });
      assert.equal(reply.status, 403);
    });

    it("passes the client named by CF-Connecting-IP to the backend as X-Real-IP", async () => {
      const reply = await request(`${running().httpsUrl}/api/whoami`, {
        headers: { "CF-Connecting-IP": "198.51.100.4" },
      });
      assert.equal(echoOf(reply).realIp, "198.51.100.4");
    });

    it("writes every access-log line as JSON with time, client, status, uri and request_id", () => {
      assertJsonAccessLog(running());
    });
  });

  describe("with a limit of 1 request per second and a burst of 2", () => {
    let nginx: RunningNginx | undefined;
    const running = () => nginx as RunningNginx;

    before(async () => {
      nginx = await startNginx(site, "rate-limited", { rateLimitPerSecond: 1, rateLimitBurst: 2 });
    });

    after(async () => {
      await nginx?.process.stop();
    });

    it("answers a quick run of requests with 429 once the burst is spent", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        statuses.push((await request(`${running().httpsUrl}/`)).status);
      }
      const seen = statuses.join(", ");
      assert.ok(!statuses.slice(0, 3).includes(429), `the burst was refused: ${seen}`);
      assert.ok(statuses.includes(429), `no request was limited: ${seen}`);
    });

    it("writes every access-log line as JSON with time, client, status, uri and request_id", () => {
      assertJsonAccessLog(running());
    });
  });
});
