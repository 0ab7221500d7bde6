import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort, requireBinary, ServerProcess, startServer, tempDir } from "./support/processes";
import { renderedStack } from "./support/rendered";
import { ruleNamed } from "./support/rendered-alert-rules";

// Debian's Alertmanager 0.25 runs dev's alertmanager.yml as rendered, on a loopback port
// (production runs the newer release of components/monitoring/images.ts).
const ALERTMANAGER = "/usr/bin/prometheus-alertmanager";

interface HeldAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: string; inhibitedBy: string[] };
}

/** An alert named after a rendered rule, with the labels its expression keeps. */
type Raised = [alertname: string, labels: Record<string, string>];

// The causes and their consequences carry different instances, as they do in production: the
// inhibit rules must not depend on an `equal` they do not have.
const INHIBITIONS: { says: string; cause: Raised; muted: Raised }[] = [
  {
    says: "the backend's database check while PostgresDown is active",
    cause: ["PostgresDown", { job: "postgres", instance: "postgres-exporter:9187" }],
    muted: [
      "BackendDatabaseCheckFailing",
      {
        job: "blackbox",
        probe: "backend-database",
        instance: "http://backend:3001/health/database",
      },
    ],
  },
  {
    says: "the backend's Redis check while RedisDown is active",
    cause: ["RedisDown", { job: "redis", instance: "redis-exporter:9121" }],
    muted: [
      "BackendRedisCheckFailing",
      { job: "blackbox", probe: "backend-redis", instance: "http://backend:3001/health/redis" },
    ],
  },
  {
    says: "ApiLatencyHigh while BackendDown is active",
    cause: [
      "BackendDown",
      { job: "blackbox", probe: "backend-health", instance: "http://backend:3001/health" },
    ],
    muted: ["ApiLatencyHigh", {}],
  },
  {
    says: "TargetDown of the Postgres exporter while PostgresDown is active",
    cause: ["PostgresDown", { job: "postgres", instance: "postgres-exporter:9187" }],
    muted: ["TargetDown", { job: "postgres", instance: "postgres-exporter:9187" }],
  },
  {
    says: "TargetDown of the Redis exporter while RedisDown is active",
    cause: ["RedisDown", { job: "redis", instance: "redis-exporter:9121" }],
    muted: ["TargetDown", { job: "redis", instance: "redis-exporter:9121" }],
  },
  {
    says: "TargetDown of the backend's /metrics while BackendDown is active",
    cause: [
      "BackendDown",
      { job: "blackbox", probe: "backend-health", instance: "http://backend:3001/health" },
    ],
    muted: ["TargetDown", { job: "backend", instance: "backend:3001" }],
  },
  {
    says: "PublicEndpointDown while FrontendDown is active",
    cause: [
      "FrontendDown",
      { job: "blackbox", probe: "frontend-health", instance: "http://frontend:3000/api/health" },
    ],
    muted: [
      "PublicEndpointDown",
      { job: "blackbox-tls", probe: "public-https", instance: "https://app.example/" },
    ],
  },
  {
    says: "PublicEndpointDown while CertificateExpired is active",
    cause: [
      "CertificateExpired",
      { job: "blackbox-tls", probe: "origin-certificate", instance: "https://nginx:443/" },
    ],
    muted: [
      "PublicEndpointDown",
      { job: "blackbox-tls", probe: "public-https", instance: "https://app.example/" },
    ],
  },
];

/**
 * Pairs that must not inhibit: `cause` active leaves `kept` active. Each case also raises a pair
 * that does inhibit, after them, and waits for it: once that one is muted, Alertmanager has
 * read the whole batch, so an active `kept` is not a race.
 */
const NOT_INHIBITED: { says: string; cause: Raised; kept: Raised; control: [Raised, Raised] }[] = [
  {
    says: "the Postgres exporter's TargetDown while node-exporter's is active",
    cause: ["TargetDown", { job: "node", instance: "node-exporter:9100" }],
    kept: ["TargetDown", { job: "postgres", instance: "postgres-exporter:9187" }],
    control: [
      ["RedisDown", { job: "redis", instance: "redis-exporter:9121" }],
      ["BackendRedisCheckFailing", { job: "blackbox", probe: "backend-redis", instance: "x" }],
    ],
  },
  {
    says: "the Redis exporter's TargetDown while PostgresDown is active",
    cause: ["PostgresDown", { job: "postgres", instance: "postgres-exporter:9187" }],
    kept: ["TargetDown", { job: "redis", instance: "redis-exporter:9121" }],
    control: [
      ["BackendDown", { job: "blackbox", probe: "backend-health", instance: "x" }],
      ["ApiLatencyHigh", {}],
    ],
  },
  {
    says: "a warning while a critical alert of the same name and instance is active",
    cause: [
      "HostHighMemoryUsage",
      { job: "node", instance: "node-exporter:9100", severity: "critical" },
    ],
    kept: ["HostHighMemoryUsage", { job: "node", instance: "node-exporter:9100" }],
    control: [
      ["RedisDown", { job: "redis", instance: "redis-exporter:9121" }],
      ["BackendRedisCheckFailing", { job: "blackbox", probe: "backend-redis", instance: "x" }],
    ],
  },
];

// Each case raises its alerts, checks them and resolves them again: Alertmanager names only the
// first inhibiting alert it finds, so causes of different cases must not be active together.
describe("a real Alertmanager 0.25 with dev's alertmanager.yml", () => {
  let out = "";
  let dir = "";
  let alertmanager: ServerProcess | undefined;
  let api = "";

  before(async function () {
    this.timeout(60000);
    requireBinary(ALERTMANAGER, "prometheus-alertmanager");
    out = await renderedStack("dev");
    dir = tempDir("alertmanager");
    const config = path.join(dir, "alertmanager.yml");
    fs.copyFileSync(path.join(out, "monitoring", "alertmanager.yml"), config);
    const port = await freePort();
    api = `http://127.0.0.1:${port}/api/v2`;
    alertmanager = await startServer(
      ALERTMANAGER,
      [
        `--config.file=${config}`,
        `--storage.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // An empty address turns clustering off, so nothing listens beyond the one port.
        "--cluster.listen-address=",
      ],
      {
        name: `Alertmanager on port ${port}`,
        ready: async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok,
      },
    );
  });

  after(async () => {
    await alertmanager?.stop();
    if (dir) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** The labels the rule gives the alert (severity, team), then the expression's own. */
  function labelsOf([alertname, labels]: Raised): Record<string, string> {
    return { alertname, ...ruleNamed(out, alertname).labels, ...labels };
  }

  async function post(alerts: Record<string, string>[], endsAt?: string): Promise<void> {
    const response = await fetch(`${api}/alerts`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(alerts.map((labels) => ({ labels, ...(endsAt ? { endsAt } : {}) }))),
    });
    assert.equal(response.status, 200, await response.text());
  }

  /**
   * Raises `alerts`, waits until the one at `index` is suppressed (the inhibitor reads new
   * alerts asynchronously) or 10 s have passed, and returns what Alertmanager holds then, in
   * the order raised. The alerts are resolved again afterwards.
   */
  async function held(alerts: Record<string, string>[], index: number): Promise<HeldAlert[]> {
    await post(alerts);
    try {
      const same = (a: HeldAlert, labels: Record<string, string>) =>
        Object.keys(labels).length === Object.keys(a.labels).length &&
        Object.entries(labels).every(([key, value]) => a.labels[key] === value);
      let found: (HeldAlert | undefined)[] = [];
      const deadline = Date.now() + 10000;
      do {
        const all = (await (await fetch(`${api}/alerts`)).json()) as HeldAlert[];
        found = alerts.map((labels) => all.find((a) => same(a, labels)));
        if (found[index]?.status.state === "suppressed") {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      } while (Date.now() < deadline);
      return found.map((alert, i) => {
        assert.ok(alert, `Alertmanager holds no alert ${JSON.stringify(alerts[i])}`);
        return alert;
      });
    } finally {
      await post(alerts, new Date(Date.now() - 1000).toISOString());
    }
  }

  for (const { says, cause, muted } of INHIBITIONS) {
    it(`suppresses ${says}`, async () => {
      const [source, target] = await held([labelsOf(cause), labelsOf(muted)], 1);
      assert.equal(source.status.state, "active");
      assert.deepEqual(source.status.inhibitedBy, []);
      assert.equal(target.status.state, "suppressed");
      assert.deepEqual(target.status.inhibitedBy, [source.fingerprint]);
    });
  }

  for (const { says, cause, kept, control } of NOT_INHIBITED) {
    it(`keeps ${says}`, async () => {
      const raised = [labelsOf(cause), labelsOf(kept), ...control.map(labelsOf)];
      const [source, target, , muted] = await held(raised, 3);
      assert.equal(muted.status.state, "suppressed", "the control pair was not read in time");
      assert.equal(source.status.state, "active");
      assert.equal(target.status.state, "active");
      assert.deepEqual(target.status.inhibitedBy, []);
    });
  }
});
