import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as fc from "fast-check";
import { validateSettings } from "../components/config/load";
import { CLOUDFLARE_RANGES } from "../components/nginx/cloudflare";
import { NginxSettingsInput } from "../components/nginx/settings";
import {
  assertJsonAccessLog,
  echoOf,
  handshake,
  healthCheck,
  listenPorts,
  NGINX,
  prepareSite,
  request,
  RunningNginx,
  sClient,
  settingsFor,
  Site,
  StandIn,
  startNginx,
  stdoutTo,
  writeConf,
} from "./support/nginx-site";
import { freePort, run } from "./support/processes";

describe("nginx serving the rendered nginx.conf", () => {
  const site: Site = { dir: "", certificateFile: "", keyFile: "", backend: "", frontend: "" };
  const standIns: StandIn[] = [];

  before(async () => {
    await prepareSite(site, "nginx-live");

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
