import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { parse } from "yaml";
import { TLS_PROBE } from "../components/monitoring/contract";
import { seconds } from "../components/monitoring/detection";
import {
  freePort,
  portOpen,
  requireBinary,
  run,
  ServerProcess,
  startServer,
} from "./support/processes";
import { readRendered, renderedStack } from "./support/rendered";

// Debian's blackbox_exporter 0.23 runs the rendered modules on a loopback port (production runs
// the newer release of components/monitoring/images.ts); probes are sent as Prometheus sends them.
const BLACKBOX = "/usr/bin/prometheus-blackbox-exporter";
const STACKS = ["dev", "prod"] as const;

interface ScrapeJob {
  scrape_timeout?: string;
  params?: { module?: string[] };
  static_configs?: { labels?: Record<string, string> }[];
}

/** The module and scrape timeout of the probe job that carries `probe`. */
function probeJob(prometheusYml: string, probe: string): { module: string; timeout: number } {
  const config = parse(prometheusYml) as { scrape_configs: ScrapeJob[] };
  const job = config.scrape_configs.find((j) => j.static_configs?.[0]?.labels?.probe === probe);
  const module = job?.params?.module?.[0];
  assert.ok(job?.scrape_timeout && module, `no probe job for ${probe}`);
  return { module, timeout: seconds(job.scrape_timeout) };
}

/** The samples of a Prometheus text exposition, by series name without labels. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match) {
      found.set(match[1], Number(match[2]));
    }
  }
  return found;
}

describe("the blackbox exporter 0.23 with the rendered modules", () => {
  let prometheusYml = "";
  let exporter: ServerProcess | undefined;
  let exporterPort = 0;
  let target: http.Server | undefined;
  let targetUrl = "";
  const pending = new Set<NodeJS.Timeout>();

  before(async function () {
    this.timeout(60000);
    requireBinary(BLACKBOX, "prometheus-blackbox-exporter");
    const out = await renderedStack("dev");
    prometheusYml = readRendered(out, "monitoring/prometheus.yml");

    // A stand-in backend: /health answers at once, /slow after 7 s, between the two timeouts.
    target = http.createServer((request, response) => {
      if (request.url === "/slow") {
        const timer = setTimeout(() => {
          pending.delete(timer);
          response.end("slow but fine");
        }, 7000);
        pending.add(timer);
        return;
      }
      response.statusCode = request.url === "/health" ? 200 : 404;
      response.end("ok");
    });
    await new Promise<void>((resolve) => target?.listen(0, "127.0.0.1", resolve));
    targetUrl = `http://127.0.0.1:${(target.address() as net.AddressInfo).port}`;

    exporterPort = await freePort();
    exporter = await startServer(
      BLACKBOX,
      [
        `--config.file=${path.join(out, "monitoring", "blackbox.yml")}`,
        `--web.listen-address=127.0.0.1:${exporterPort}`,
      ],
      { name: `blackbox exporter on port ${exporterPort}`, ready: () => portOpen(exporterPort) },
    );
  });

  after(async () => {
    await exporter?.stop();
    pending.forEach((timer) => clearTimeout(timer));
    target?.closeAllConnections();
    await new Promise((resolve) => (target ? target.close(resolve) : resolve(undefined)));
  });

  /** A probe as Prometheus sends it, with the probe job's scrape timeout in the header. */
  async function probe(probeName: string, urlPath: string): Promise<Map<string, number>> {
    const { module, timeout } = probeJob(prometheusYml, probeName);
    const query = new URLSearchParams({ module, target: `${targetUrl}${urlPath}` });
    const response = await fetch(`http://127.0.0.1:${exporterPort}/probe?${query}`, {
      headers: { "X-Prometheus-Scrape-Timeout-Seconds": String(timeout) },
      signal: AbortSignal.timeout(20000),
    });
    assert.equal(response.status, 200);
    return samples(await response.text());
  }

  for (const stack of STACKS) {
    it(`accepts ${stack}'s blackbox.yml with --config.check`, async () => {
      const file = path.join(await renderedStack(stack), "monitoring", "blackbox.yml");
      const result = await run(BLACKBOX, ["--config.check", `--config.file=${file}`]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stderr, /Config file is ok/);
    });
  }

  it("uses http_2xx_5s under a 6 s scrape timeout for /health, and 10 s under 11 s for /health/database", () => {
    // The scrape timeout minus blackbox's 0.5 s must not cut the runbook's timeout short.
    assert.deepEqual(probeJob(prometheusYml, "backend-health"), {
      module: "http_2xx_5s",
      timeout: 6,
    });
    assert.deepEqual(probeJob(prometheusYml, "backend-database"), {
      module: "http_2xx_10s",
      timeout: 11,
    });
  });

  it("gives both TLS modules the contract's probe timeout, under a scrape timeout one second longer", async () => {
    const blackbox = parse(readRendered(await renderedStack("dev"), "monitoring/blackbox.yml")) as {
      modules: Record<string, { timeout: string }>;
    };
    for (const [module, probe] of [
      ["https_public", "public-https"],
      ["tls_certificate", "origin-certificate"],
    ]) {
      assert.equal(seconds(blackbox.modules[module].timeout), TLS_PROBE.timeout, module);
      assert.deepEqual(probeJob(prometheusYml, probe), {
        module,
        timeout: TLS_PROBE.timeout + 1,
      });
    }
  });

  it("reports success for a health endpoint answering 200", async () => {
    const result = await probe("backend-health", "/health");
    assert.equal(result.get("probe_success"), 1);
    assert.equal(result.get("probe_http_status_code"), 200);
  });

  it("gives up on a 7 s answer at the health check's 5 s, within the scrape's 6 s", async function () {
    this.timeout(20000);
    const result = await probe("backend-health", "/slow");
    assert.equal(result.get("probe_success"), 0);
    const took = result.get("probe_duration_seconds") ?? NaN;
    assert.ok(took >= 4.5 && took <= 7, `the probe gave up after ${took} s`);
  });

  it("waits out a 7 s answer within the database check's 10 s", async function () {
    this.timeout(20000);
    const result = await probe("backend-database", "/slow");
    assert.equal(result.get("probe_success"), 1);
    assert.equal(result.get("probe_http_status_code"), 200);
  });
});
