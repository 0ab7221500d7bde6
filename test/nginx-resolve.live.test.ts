import assert from "node:assert/strict";
import * as fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { DnsStandIn } from "./support/dns-stand-in";
import {
  echoOf,
  prepareSite,
  request,
  RunningNginx,
  Site,
  StandIn,
  startNginx,
} from "./support/nginx-site";
import { freePort } from "./support/processes";

// Docker gives a recreated container a new address under the same name. These specs run the
// rendered nginx.conf against a DNS stand-in that plays Docker's embedded DNS.
const BACKEND_NAME = "backend.stack.test";
const FRONTEND_NAME = "frontend.stack.test";

/** Asks /api/ until the backend that answers is `expected`, or fails after `seconds`. */
async function untilBackendIs(nginx: RunningNginx, expected: string, seconds: number) {
  const deadline = Date.now() + seconds * 1000;
  let last = "";
  while (Date.now() < deadline) {
    const reply = await request(`${nginx.httpsUrl}/api/which`);
    last = reply.status === 200 ? echoOf(reply).upstream : `status ${reply.status}`;
    if (last === expected) {
      return;
    }
    await sleep(200);
  }
  assert.fail(`after ${seconds} s /api/ still reached ${last}, not ${expected}`);
}

describe("nginx finding its upstreams by name, as Docker's DNS gives them", () => {
  const site: Site = { dir: "", certificateFile: "", keyFile: "", backend: "", frontend: "" };
  const standIns: StandIn[] = [];
  let dns: DnsStandIn | undefined;
  let nginx: RunningNginx | undefined;
  let port = 0;
  const running = () => nginx as RunningNginx;
  const names = () => dns as DnsStandIn;

  before(async () => {
    await prepareSite(site, "nginx-resolve");

    // The old and the new backend container: one port, two addresses of the loopback network.
    port = await freePort();
    standIns.push(await StandIn.start("backend-old", "127.0.0.1", port));
    standIns.push(await StandIn.start("backend-new", "127.0.0.2", port));
    standIns.push(await StandIn.start("frontend", "127.0.0.1"));
    dns = await DnsStandIn.start(1);
    dns.set(FRONTEND_NAME, "127.0.0.1");

    // Started while the backend's name is unknown, as when nginx comes up before the backend.
    nginx = await startNginx(site, "resolve", {
      backendUpstream: `${BACKEND_NAME}:${port}`,
      frontendUpstream: `${FRONTEND_NAME}:${standIns[2].address.split(":")[1]}`,
      resolver: `127.0.0.1:${dns.port}`,
    });
  });

  after(async () => {
    await nginx?.process.stop();
    await dns?.stop();
    await Promise.all(standIns.map((standIn) => standIn.stop()));
    if (site.dir) {
      fs.rmSync(site.dir, { recursive: true, force: true });
    }
  });

  it("starts while the backend's name does not resolve, and answers /api/ with 502", async () => {
    const reply = await request(`${running().httpsUrl}/api/which`);
    assert.equal(reply.status, 502);
    assert.equal(echoOf(await request(`${running().httpsUrl}/`)).upstream, "frontend");
  });

  it("reaches the backend once its name resolves", async () => {
    names().set(BACKEND_NAME, "127.0.0.1");
    await untilBackendIs(running(), "backend-old", 15);
  });

  it("follows the backend to its new address when the container is replaced", async () => {
    names().set(BACKEND_NAME, "127.0.0.2");
    // nginx keeps an answer for the rendered valid=10s; the stand-in's TTL of 1 s is shorter.
    await untilBackendIs(running(), "backend-new", 15);
  });
});
