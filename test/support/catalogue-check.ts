import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { HEALTH_CHECKS } from "../../components/monitoring/contract";
import { MetricSourceName } from "../../components/monitoring/metric-catalogue";
import { moduleFor } from "../../components/monitoring/prometheus-config";
import { MonitoringDrill } from "./monitoring-drill";
import { requireBinary, run, tempDir } from "./processes";

const MTAIL = "/usr/bin/mtail";

/** The metric names of a Prometheus text exposition, series suffixes and all. */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1];
    if (name) {
      names.add(name);
    }
  }
  return names;
}

async function get(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15000) });
  assert.equal(response.status, 200, `GET ${url}`);
  return response.text();
}

/** What one blackbox module reports for a target, through the exporter's /probe. */
async function probe(blackbox: string, module: string, target: string): Promise<Set<string>> {
  const query = `module=${module}&target=${encodeURIComponent(target)}`;
  return exposedNames(await get(`http://${blackbox}/probe?${query}`));
}

/** What mtail exports after reading one access-log line in Docker's json-file form. */
async function mtailNames(rendered: string): Promise<Set<string>> {
  requireBinary(MTAIL, "mtail");
  const dir = tempDir("catalogue-mtail");
  try {
    fs.mkdirSync(path.join(dir, "progs"));
    fs.copyFileSync(
      path.join(rendered, "monitoring", "nginx.mtail"),
      path.join(dir, "progs", "nginx.mtail"),
    );
    const log = path.join(dir, "nginx.log");
    const line = JSON.stringify({ status: "200", request_uri: "/api/pickups" });
    fs.writeFileSync(log, `${JSON.stringify({ log: `${line}\n`, stream: "stdout" })}\n`);
    const result = await run(MTAIL, [
      ...["--one_shot", "--one_shot_format", "json", "--logtostderr"],
      ...["--address", "127.0.0.1", "--port", "0", "--progs", path.join(dir, "progs")],
      ...["--logs", log],
    ]);
    assert.equal(result.code, 0, result.stderr);
    return new Set(Object.keys(JSON.parse(result.stdout) as Record<string, unknown>));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The names each live source serves in the drill: /metrics of every exporter and server it runs,
 * the blackbox exporter's probes over HTTP and TLS, Prometheus's own `up`, and mtail with the
 * rendered program. Sources the drill cannot run are absent.
 */
export async function liveNames(
  drill: MonitoringDrill,
  rendered: string,
): Promise<Partial<Record<MetricSourceName, Set<string>>>> {
  const metrics = (endpoint: keyof MonitoringDrill["endpoints"]) =>
    get(`http://${drill.endpoints[endpoint]}/metrics`).then(exposedNames);
  const targets = drill.probeTargets;
  const health = HEALTH_CHECKS.backendHealth;
  const [http, tls] = await Promise.all([
    probe(
      drill.endpoints.blackbox,
      moduleFor("backendHealth"),
      `http://${targets.backend}${health.path}`,
    ),
    probe(drill.endpoints.blackbox, "tls_certificate", `https://${targets.tls}/`),
  ]);
  const up = JSON.parse(
    await get(`${drill.prometheus}/api/v1/query?query=${encodeURIComponent("up")}`),
  ) as { data: { result: unknown[] } };
  return {
    scrape: new Set(up.data.result.length > 0 ? ["up"] : []),
    prometheus: await metrics("prometheus"),
    alertmanager: await metrics("alertmanager"),
    node: await metrics("node"),
    postgres: await metrics("postgres"),
    redis: await metrics("redis"),
    nginx: await metrics("nginx"),
    blackbox: new Set([...http, ...tls]),
    mtail: await mtailNames(rendered),
  };
}
