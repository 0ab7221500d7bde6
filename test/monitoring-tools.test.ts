import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { parse } from "yaml";
import { RESPONSE_BUDGETS, TLS_PROBE } from "../components/monitoring/contract";
import {
  Detection,
  seconds,
  widestRange,
  worstCaseDetections,
} from "../components/monitoring/detection";
import { spokenDuration } from "../components/monitoring/duration";
import { ROLES } from "../components/postgres/access";
import {
  freePort,
  portOpen,
  requireBinary,
  run,
  ServerProcess,
  startServer,
  tempDir,
} from "./support/processes";
import { readRendered, renderedRuleFiles, renderedStack } from "./support/rendered";

// The rendered monitoring files checked by Debian's builds of the tools that read them: promtool
// 2.42, amtool and Alertmanager 0.25, blackbox_exporter 0.23 and mtail 3.0.0~rc50 (production runs
// the newer releases of components/monitoring/images.ts, mtail excepted). Files are used as
// rendered; only paths and listen addresses are adapted to the test machine.
const PROMTOOL = "/usr/bin/promtool";
const AMTOOL = "/usr/bin/amtool";
const ALERTMANAGER = "/usr/bin/prometheus-alertmanager";
const BLACKBOX = "/usr/bin/prometheus-blackbox-exporter";
const MTAIL = "/usr/bin/mtail";
const STACKS = ["dev", "prod"] as const;
const UNIT_TESTS = path.join(__dirname, "promtool");
const AREAS = fs
  .readdirSync(UNIT_TESTS)
  .filter((file) => file.endsWith(".test.yml"))
  .map((file) => file.replace(/\.test\.yml$/, ""))
  .sort();

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; interval: string; rules: AlertRule[] }[];
}

/** The alert rules of a rendered stack, by area. */
function rulesByArea(out: string): Map<string, RuleFile> {
  const files = renderedRuleFiles(out);
  return new Map([...files].map(([area, text]) => [area, parse(text) as RuleFile]));
}

function allRules(out: string): AlertRule[] {
  return [...rulesByArea(out).values()].flatMap((file) => file.groups.flatMap((g) => g.rules));
}

function ruleNamed(out: string, alert: string): AlertRule {
  const rule = allRules(out).find((r) => r.alert === alert);
  assert.ok(rule, `no rendered rule ${alert}`);
  return rule;
}

interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: unknown }[];
}

interface UnitTestFile {
  rule_files: string[];
  evaluation_interval?: string;
  tests: { name?: string; interval?: string; alert_rule_test?: AlertCase[] }[];
}

function unitTestFile(area: string): UnitTestFile {
  const text = fs.readFileSync(path.join(UNIT_TESTS, `${area}.test.yml`), "utf8");
  return parse(text) as UnitTestFile;
}

function alertCases(area: string): AlertCase[] {
  return unitTestFile(area).tests.flatMap((group) => group.alert_rule_test ?? []);
}

/** A copy of the rendered prometheus.yml whose rule_files glob finds a copy of the rules. */
function prometheusWithLocalRules(out: string, dir: string): string {
  const rules = path.join(dir, "rules");
  fs.cpSync(path.join(out, "monitoring", "rules"), rules, { recursive: true });
  const text = readRendered(out, "monitoring/prometheus.yml");
  const glob = "/etc/prometheus/rules/*.yml";
  assert.equal(text.split(glob).length, 2, `prometheus.yml should name ${glob} once`);
  const file = path.join(dir, "prometheus.yml");
  fs.writeFileSync(file, text.replace(glob, path.join(rules, "*.yml")));
  return file;
}

describe("promtool 2.42 on the rendered Prometheus configuration", () => {
  const dirs: string[] = [];

  before(() => requireBinary(PROMTOOL, "prometheus"));
  after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  for (const stack of STACKS) {
    it(`accepts ${stack}'s prometheus.yml together with the 10 rule files it loads`, async () => {
      const out = await renderedStack(stack);
      const dir = tempDir(`promtool-config-${stack}`);
      dirs.push(dir);
      const result = await run(PROMTOOL, ["check", "config", prometheusWithLocalRules(out, dir)]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /SUCCESS: 10 rule files found/);
      for (const [area, file] of rulesByArea(out)) {
        const count = file.groups[0].rules.length;
        const checked = new RegExp(`rules/${area}\\.yml\\n\\s+SUCCESS: ${count} rules found`);
        assert.match(result.stdout, checked, `${area}.yml was not checked`);
      }
    });

    it(`accepts every rule file of ${stack} on its own`, async () => {
      const out = await renderedStack(stack);
      const files = [...renderedRuleFiles(out).keys()].map((area) =>
        path.join(out, "monitoring", "rules", `${area}.yml`),
      );
      assert.equal(files.length, 10);
      const result = await run(PROMTOOL, ["check", "rules", ...files]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(result.stdout.match(/SUCCESS: \d+ rules found/g)?.length, 10, result.stdout);
    });
  }
});

// The unit tests in test/promtool are written against the dev stack, whose DB_POOL_MAX is 20.
describe("promtool unit tests of the rendered alert rules (dev)", () => {
  let out: string;
  const dirs: string[] = [];

  before(async () => {
    requireBinary(PROMTOOL, "prometheus");
    out = await renderedStack("dev");
  });
  after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it("has one unit-test file for every rule area and no other", () => {
    assert.deepEqual(AREAS, [...renderedRuleFiles(out).keys()]);
  });

  for (const area of AREAS) {
    it(`passes test/promtool/${area}.test.yml against rules/${area}.yml`, async () => {
      const dir = tempDir(`promtool-${area}`);
      dirs.push(dir);
      fs.copyFileSync(
        path.join(UNIT_TESTS, `${area}.test.yml`),
        path.join(dir, `${area}.test.yml`),
      );
      fs.writeFileSync(path.join(dir, `${area}.yml`), renderedRuleFiles(out).get(area) ?? "");
      const result = await run(PROMTOOL, ["test", "rules", path.join(dir, `${area}.test.yml`)]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /SUCCESS/);
    });
  }

  it("evaluates each file at its group's interval and gives every test group an interval", () => {
    // promtool 2.42 evaluates every minute unless told, and loads no series without `interval`.
    for (const area of AREAS) {
      const tests = unitTestFile(area);
      const group = rulesByArea(out).get(area)?.groups[0];
      assert.deepEqual(tests.rule_files, [`${area}.yml`]);
      assert.equal(tests.evaluation_interval, group?.interval, `${area}.test.yml`);
      for (const test of tests.tests) {
        assert.ok(test.interval, `${area}: "${test.name}" sets no interval`);
      }
    }
  });

  it("shows every alert silent one evaluation before it fires, in the same test group", () => {
    // promtool compares exp_labels with the alert's whole label set, so a passing case that names
    // the rule's own labels lists every label; the check here makes sure there is such a case.
    const missing: string[] = [];
    for (const area of AREAS) {
      const file = rulesByArea(out).get(area)?.groups[0];
      const step = seconds(file?.interval ?? "0s");
      for (const rule of file?.rules ?? []) {
        const labelled = (c: AlertCase) =>
          (c.exp_alerts ?? []).length > 0 &&
          (c.exp_alerts ?? []).every((expected) =>
            Object.entries({ alertname: rule.alert, ...rule.labels }).every(
              ([key, value]) => expected.exp_labels?.[key] === value,
            ),
          );
        const pairs = unitTestFile(area).tests.filter((group) => {
          const own = (group.alert_rule_test ?? []).filter((c) => c.alertname === rule.alert);
          return own.some(
            (firing) =>
              labelled(firing) &&
              own.some(
                (silent) =>
                  (silent.exp_alerts ?? []).length === 0 &&
                  seconds(silent.eval_time) === seconds(firing.eval_time) - step,
              ),
          );
        });
        // Watchdog's expression is vector(1): there is no state in which it is silent.
        if (rule.expr === "vector(1)") {
          const fires = alertCases(area).some((c) => c.alertname === rule.alert && labelled(c));
          if (!fires) {
            missing.push(`${rule.alert} is never shown firing with its labels`);
          }
        } else if (pairs.length === 0) {
          missing.push(`${area}: ${rule.alert} has no silent case ${step} s before a firing one`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it("tests only alerts that exist in the rules, naming them in exp_labels too", () => {
    // promtool 2.42 replaces an alertname in exp_labels with the case's, so a wrong one passes.
    const known = new Set(allRules(out).map((rule) => rule.alert));
    for (const area of AREAS) {
      for (const c of alertCases(area)) {
        assert.ok(known.has(c.alertname), `${area}.test.yml tests unknown alert ${c.alertname}`);
        for (const expected of c.exp_alerts ?? []) {
          assert.equal(expected.exp_labels?.alertname, c.alertname, `${area}.test.yml`);
        }
      }
    }
  });
});

describe("the rendered alert rules", () => {
  // A description that only repeats the summary says nothing the page did not: each one fills in
  // the alert's own labels, its value, or (for the Watchdog) Prometheus's external labels.
  const TEMPLATE = /\{\{[^}]*\$(labels\.\w+|value|externalLabels\.\w+)[^}]*\}\}/;

  it("says in every description the rule's own `for` and window, in words made from them", async () => {
    // "for over 2 minutes" is a `for`; "over 5 minutes" alone is the rate's range.
    const held = /\bfor (?:over )?(a second|a minute|an hour|\d+ (?:seconds|minutes|hours))\b/g;
    const over = /(?<!for )\bover (a second|a minute|an hour|\d+ (?:seconds|minutes|hours))\b/g;
    const wrong: string[] = [];
    let named = 0;
    for (const rule of allRules(await renderedStack("dev"))) {
      const text = rule.annotations.description;
      const expected = [
        [held, spokenDuration(seconds(rule.for ?? "0s"))],
        [over, spokenDuration(widestRange(rule.expr))],
      ] as const;
      for (const [pattern, words] of expected) {
        for (const [, said] of text.matchAll(pattern)) {
          named += 1;
          if (said !== words) {
            wrong.push(`${rule.alert} says ${said}, its rule ${words}`);
          }
        }
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(named >= 15, `only ${named} durations found: the patterns miss some`);
  });

  it("counts the backend pool's connections by the app role the stack creates", async () => {
    const pool = ruleNamed(await renderedStack("dev"), "DatabasePoolNearExhaustion");
    assert.match(pool.expr, new RegExp(`usename="${ROLES.app}"`));
  });

  for (const stack of STACKS) {
    it(`gives every alert of ${stack} a description templated from the alert`, async () => {
      const plain = allRules(await renderedStack(stack))
        .filter((rule) => !TEMPLATE.test(rule.annotations.description))
        .map((rule) => `${rule.alert}: ${rule.annotations.description}`);
      assert.deepEqual(plain, []);
    });
  }
});

/** The runbook's escalation matrix, in route order; a row with `continue` lets later rows add. */
const ESCALATION: {
  when: string;
  applies: (labels: Record<string, string>) => boolean;
  receiver: string;
  continue?: boolean;
}[] = [
  { when: "Watchdog", applies: (l) => l.alertname === "Watchdog", receiver: "watchdog" },
  { when: "team payments", applies: (l) => l.team === "payments", receiver: "page-payments" },
  {
    when: "team security",
    applies: (l) => l.team === "security",
    receiver: "slack-security",
    continue: true,
  },
  {
    when: "team customer-success",
    applies: (l) => l.team === "customer-success",
    receiver: "slack-customer-success",
    continue: true,
  },
  { when: "critical", applies: (l) => l.severity === "critical", receiver: "page-critical" },
];
/** Every other warning, and info, goes to the platform channel. */
const FALLBACK_RECEIVER = "slack-platform";

/** The receivers the matrix gives an alert, in route order, and the rows that chose them. */
function escalate(labels: Record<string, string>): { receivers: string[]; rows: string[] } {
  const chosen = [];
  for (const row of ESCALATION) {
    if (row.applies(labels)) {
      chosen.push(row);
      if (!row.continue) {
        break;
      }
    }
  }
  return chosen.length > 0
    ? { receivers: chosen.map((row) => row.receiver), rows: chosen.map((row) => row.when) }
    : { receivers: [FALLBACK_RECEIVER], rows: ["any other alert"] };
}

interface AlertmanagerYml {
  route: {
    receiver: string;
    group_wait?: string;
    routes?: {
      receiver: string;
      group_wait?: string;
      group_interval?: string;
      repeat_interval?: string;
    }[];
  };
  receivers: {
    name: string;
    pagerduty_configs?: { routing_key_file?: string; client?: string }[];
    slack_configs?: { channel?: string; api_url_file?: string; send_resolved?: boolean }[];
  }[];
}

/** Every key of a parsed YAML document, nested ones as `a.b.c`. */
function keysOf(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => keysOf(item, prefix));
  }
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, inner]) => [
      `${prefix}${key}`,
      ...keysOf(inner, `${prefix}${key}.`),
    ]);
  }
  return [];
}

describe("amtool 0.25 on the rendered alertmanager.yml", () => {
  before(() => requireBinary(AMTOOL, "prometheus-alertmanager"));

  for (const stack of STACKS) {
    // amtool 0.25 does not open *_file settings, so prod's is checked with its real paths.
    it(`accepts ${stack}'s configuration with 6 receivers and 6 inhibit rules`, async () => {
      const out = await renderedStack(stack);
      const file = path.join(out, "monitoring", "alertmanager.yml");
      const result = await run(AMTOOL, ["check-config", file]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /SUCCESS/);
      assert.match(result.stdout, / - 6 inhibit rules\n - 6 receivers\n/);
    });

    it(`routes every alert of ${stack}'s rules to the receivers of the escalation matrix`, async () => {
      const out = await renderedStack(stack);
      const file = path.join(out, "monitoring", "alertmanager.yml");
      const rules = allRules(out);
      const wrong = await Promise.all(
        rules.map(async (rule) => {
          const labels = { alertname: rule.alert, ...rule.labels };
          const { receivers, rows } = escalate(labels);
          const args = ["config", "routes", "test", `--config.file=${file}`];
          args.push(`--verify.receivers=${receivers.join(",")}`);
          args.push(...Object.entries(labels).map(([key, value]) => `${key}=${value}`));
          const result = await run(AMTOOL, args);
          const got = result.stdout.trim().split("\n")[0];
          const why = `${rule.alert} (${rows.join(", ")}): expected ${receivers.join(",")}`;
          return result.code === 0 ? [] : [`${why}, amtool says ${got}`];
        }),
      );
      assert.deepEqual(wrong.flat(), []);

      // Every receiver of the matrix is somebody's: a row no alert reaches is a stale row.
      const reached = new Set(
        rules.flatMap((r) => escalate({ alertname: r.alert, ...r.labels }).receivers),
      );
      const receivers = [...ESCALATION.map((row) => row.receiver), FALLBACK_RECEIVER];
      assert.deepEqual(
        receivers.filter((receiver) => !reached.has(receiver)),
        [],
      );
    });
  }

  it("pages a critical alert of every team, beside the team's own channel", async () => {
    // No rule is critical for customer success or security today; the next one must still page.
    const file = path.join(await renderedStack("prod"), "monitoring", "alertmanager.yml");
    const expected: Record<string, string> = {
      platform: "page-critical",
      payments: "page-payments",
      security: "slack-security,page-critical",
      "customer-success": "slack-customer-success,page-critical",
    };
    const wrong: string[] = [];
    for (const [team, receivers] of Object.entries(expected)) {
      const result = await run(AMTOOL, [
        ...["config", "routes", "test", `--config.file=${file}`],
        `--verify.receivers=${receivers}`,
        ...["alertname=NewCriticalAlert", "severity=critical", `team=${team}`],
      ]);
      if (result.code !== 0) {
        wrong.push(`${team}: expected ${receivers}, amtool says ${result.stdout.trim()}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  async function prodConfig(): Promise<AlertmanagerYml> {
    const text = readRendered(await renderedStack("prod"), "monitoring/alertmanager.yml");
    return parse(text) as AlertmanagerYml;
  }

  it("pages PagerDuty's waste-mgmt-production and #critical-incidents for critical alerts", async () => {
    const page = (await prodConfig()).receivers.find((r) => r.name === "page-critical");
    assert.equal(page?.pagerduty_configs?.length, 1);
    assert.equal(page?.pagerduty_configs?.[0].client, "waste-mgmt-production");
    assert.equal(
      page?.pagerduty_configs?.[0].routing_key_file,
      "/etc/alertmanager/secrets/pagerduty-waste-mgmt-production.key",
    );
    assert.deepEqual(
      page?.slack_configs?.map((s) => s.channel),
      ["#critical-incidents"],
    );
  });

  it("sends prod's Watchdog to the heartbeat check at once and then every 90 s, its URL from a file", async () => {
    const file = path.join(await renderedStack("prod"), "monitoring", "alertmanager.yml");
    const args = [
      "config",
      "routes",
      "test",
      `--config.file=${file}`,
      "--verify.receivers=watchdog",
    ];
    const routed = await run(AMTOOL, [
      ...args,
      "alertname=Watchdog",
      "severity=info",
      "team=platform",
    ]);
    assert.equal(routed.code, 0, routed.stdout + routed.stderr);

    const config = await prodConfig();
    const watchdog = config.receivers.find((r) => r.name === "watchdog");
    assert.deepEqual(
      watchdog?.slack_configs?.map(({ api_url_file, send_resolved }) => [
        api_url_file,
        send_resolved,
      ]),
      [["/etc/alertmanager/secrets/dead-mans-switch-url", false]],
    );
    const route = config.route.routes?.find((r) => r.receiver === "watchdog");
    assert.deepEqual(
      [route?.group_wait, route?.group_interval, route?.repeat_interval],
      ["0s", "45s", "1m"],
    );
  });

  it("sends payment alerts without waiting to group them", async () => {
    const route = (await prodConfig()).route.routes?.find((r) => r.receiver === "page-payments");
    assert.equal(route?.group_wait, "0s");
  });

  it("holds no secret inline in prod: credentials come from files only", async () => {
    const text = readRendered(await renderedStack("prod"), "monitoring/alertmanager.yml");
    const keys = keysOf(parse(text));
    const inline = /(^|\.)(routing_key|service_key|api_url|slack_api_url|url|password)$/;
    assert.deepEqual(
      keys.filter((key) => inline.test(key)),
      [],
    );
    const files = keys.filter((key) => key.endsWith("_file"));
    assert.ok(
      files.some((key) => key.endsWith("routing_key_file")),
      keys.join(", "),
    );
    assert.ok(files.includes("global.slack_api_url_file"), keys.join(", "));
    assert.ok(files.includes("receivers.slack_configs.api_url_file"), keys.join(", "));
    assert.doesNotMatch(text, /stand-in/, "a stand-in secret of the render leaked into the file");
  });
});

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

/** The JSON template of the access log in the rendered nginx.conf, `$variables` in place. */
function accessLogTemplate(nginxConf: string): string {
  const block = /log_format json escape=json\s+((?:'[^']*'\s*)+);/.exec(nginxConf);
  assert.ok(block, "nginx.conf has no `log_format json escape=json`");
  return [...block[1].matchAll(/'([^']*)'/g)].map((m) => m[1]).join("");
}

/** One access-log line as nginx writes it: variable values JSON-escaped, as escape=json does. */
function accessLogLine(template: string, values: Record<string, string>): string {
  const line = template.replace(/\$(\w+)/g, (_, name: string) =>
    JSON.stringify(values[name] ?? "").slice(1, -1),
  );
  // Throws if a value broke the JSON, which nginx's escaping never lets happen.
  JSON.parse(line);
  return line;
}

/** The same line as Docker's json-file driver stores it, where the stack's mtail reads it. */
function dockerLogLine(line: string): string {
  return JSON.stringify({ log: `${line}\n`, stream: "stdout", time: "2025-03-01T10:00:00.1Z" });
}

interface MtailMetric {
  LabelValues: { Labels: string[]; Value: { Value: number } }[];
}

describe("mtail 3.0.0~rc50 with the rendered nginx.mtail", () => {
  let dir = "";
  let template = "";
  const requests: [number, string][] = [
    [200, "/api/pickups"],
    [200, "/"],
    [200, "/api/routes?day=2025-03-01"],
    [301, "/"],
    [404, "/wp-login.php"],
    [404, "/.env"],
    [429, "/api/login"],
    [500, "/api/invoices"],
    [502, "/api/pickups"],
    [502, "/api/pickups"],
    [502, "/api/routes"],
  ];
  const expected = { "200": 3, "301": 1, "404": 2, "429": 1, "500": 1, "502": 3 };

  before(async () => {
    requireBinary(MTAIL, "mtail");
    const out = await renderedStack("dev");
    template = accessLogTemplate(readRendered(out, "nginx/nginx.conf"));
    dir = tempDir("mtail");
    fs.mkdirSync(path.join(dir, "progs"));
    fs.copyFileSync(
      path.join(out, "monitoring", "nginx.mtail"),
      path.join(dir, "progs", "nginx.mtail"),
    );
  });

  after(() => {
    if (dir) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  function lines(list: [number, string][]): string[] {
    return list.map(([status, uri], i) =>
      accessLogLine(template, {
        time_iso8601: `2025-03-01T10:00:${String(i).padStart(2, "0")}+00:00`,
        request_id: `${i}`.padStart(32, "0"),
        remote_addr: "198.51.100.4",
        request_method: "GET",
        host: "app.wastemanagement.example",
        request_uri: uri,
        status: String(status),
        body_bytes_sent: "512",
        request_time: "0.012",
      }),
    );
  }

  /** Status counts mtail reports after reading `log` once from start to end. */
  async function countsFor(name: string, log: string[]): Promise<Record<string, number>> {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${log.join("\n")}\n`);
    const result = await run(MTAIL, [
      ...["--one_shot", "--one_shot_format", "json", "--logtostderr"],
      // One-shot mode still opens its HTTP port; a kernel-chosen one on loopback cannot clash.
      ...["--address", "127.0.0.1", "--port", "0"],
      ...["--progs", path.join(dir, "progs"), "--logs", file],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const metrics = JSON.parse(result.stdout) as Record<string, MtailMetric[] | undefined>;
    const values = metrics.nginx_http_responses_total?.[0]?.LabelValues ?? [];
    return Object.fromEntries(values.map((v) => [v.Labels[0], v.Value.Value]));
  }

  it("counts every status of nginx's own JSON lines", async () => {
    assert.deepEqual(await countsFor("access.log", lines(requests)), expected);
  });

  it("counts every status of the lines as Docker's json-file log holds them", async () => {
    const docker = lines(requests).map(dockerLogLine);
    assert.deepEqual(await countsFor("docker.log", docker), expected);
  });

  it("counts a request whose URI carries a forged status by its real status in Docker's log", async () => {
    // A nginx line whose URI holds "status":"500" is counted as 500 in nginx's own format
    // (mtail's pattern allows the escaped quotes); the stack reads Docker's form, where it is not.
    const docker = lines([[404, '/?"status":"500"']]).map(dockerLogLine);
    assert.deepEqual(await countsFor("forged.log", docker), { "404": 1 });
  });
});

// The promtool case that stages each budgeted outage, and the second its outage starts there.
const OUTAGE_CASES: Record<string, { area: string; group: string; onset: number }> = {
  PaymentFailuresHigh: {
    area: "payments",
    group: "half of the attempts failing from 2m page 15 s later, the budget's outage",
    onset: 120,
  },
  BackendDown: {
    area: "availability",
    group: "a backend health probe failing for 20 seconds pages, one failing for 10 does not",
    onset: 0,
  },
  RedisDown: {
    area: "availability",
    group: "Redis unreachable for 20 seconds pages RedisDown",
    onset: 0,
  },
  PostgresDown: {
    area: "availability",
    group: "the exporter reaching no database for a minute pages PostgresDown",
    onset: 0,
  },
};

describe("worst-case time to page, from the rendered files", () => {
  // By hand from the rendered files: the feeding job's scrape interval and timeout, the share of
  // a rate's range the outage must fill, the group's evaluation interval, the rule's `for` and
  // the route's group_wait.
  const BREAKDOWN: Record<string, Omit<Detection, "alert">> = {
    // backend job 5 s + 5 s; a fifth (10 % of a 50 % outage) of the 1m range; payments group
    // every 5 s; no `for`; page-payments waits 0 s.
    PaymentFailuresHigh: {
      scrapeInterval: 5,
      scrapeTimeout: 5,
      evaluation: 5,
      window: 12,
      hold: 0,
      groupWait: 0,
      total: 27,
    },
    // probe-backend-health 10 s + 6 s; availability every 10 s; for 20 s; page-critical 10 s.
    BackendDown: {
      scrapeInterval: 10,
      scrapeTimeout: 6,
      evaluation: 10,
      window: 0,
      hold: 20,
      groupWait: 10,
      total: 56,
    },
    // redis job 10 s + 5 s; availability every 10 s; for 20 s; page-critical 10 s.
    RedisDown: {
      scrapeInterval: 10,
      scrapeTimeout: 5,
      evaluation: 10,
      window: 0,
      hold: 20,
      groupWait: 10,
      total: 55,
    },
    // postgres job 15 s + the global 10 s; availability every 10 s; for 1m; page-critical 10 s.
    PostgresDown: {
      scrapeInterval: 15,
      scrapeTimeout: 10,
      evaluation: 10,
      window: 0,
      hold: 60,
      groupWait: 10,
      total: 105,
    },
  };

  for (const stack of STACKS) {
    describe(stack, () => {
      let detections: Detection[] = [];
      let out = "";

      before(async () => {
        out = await renderedStack(stack);
        detections = worstCaseDetections({
          prometheus: readRendered(out, "monitoring/prometheus.yml"),
          rules: [...renderedRuleFiles(out).values()],
          alertmanager: readRendered(out, "monitoring/alertmanager.yml"),
        });
      });

      it("has one detection per alert of the rules", () => {
        const alerts = allRules(out).map((rule) => rule.alert);
        assert.deepEqual(detections.map((d) => d.alert).sort(), alerts.sort());
      });

      for (const [alert, budget] of Object.entries(RESPONSE_BUDGETS)) {
        it(`pages ${alert} within its budget of ${budget} s`, () => {
          const detection = detections.find((d) => d.alert === alert);
          assert.ok(detection, `${alert} has no detection`);
          assert.ok(detection.total <= budget, `${alert}: ${detection.total} s > ${budget} s`);
        });
      }

      it("adds up the four budgeted alerts as computed by hand", () => {
        const budgeted = Object.keys(RESPONSE_BUDGETS).sort();
        assert.deepEqual(budgeted, Object.keys(BREAKDOWN).sort());
        for (const alert of budgeted) {
          const detection = detections.find((d) => d.alert === alert);
          assert.deepEqual(detection, { alert, ...BREAKDOWN[alert] });
        }
      });

      it("counts the whole range of a rate without a stated outage, and none for instant values", () => {
        const windows = Object.fromEntries(detections.map((d) => [d.alert, d.window]));
        assert.equal(windows.ApiErrorRateHigh, 300);
        assert.equal(windows.Nginx5xxBurst, 60);
        assert.equal(windows.HostDiskSpaceLow, 0);
      });
    });
  }

  it("bounds each budgeted outage's promtool case: it fires no later than the model says", async () => {
    // promtool has no scrape timeout and no Alertmanager: the model without those two must still
    // be at least the seconds from the outage's start to the first evaluation that fires.
    const out = await renderedStack("dev");
    const detections = worstCaseDetections({
      prometheus: readRendered(out, "monitoring/prometheus.yml"),
      rules: [...renderedRuleFiles(out).values()],
      alertmanager: readRendered(out, "monitoring/alertmanager.yml"),
    });
    assert.deepEqual(Object.keys(OUTAGE_CASES).sort(), Object.keys(RESPONSE_BUDGETS).sort());
    const found: Record<string, [number, number]> = {};
    for (const [alert, { area, group, onset }] of Object.entries(OUTAGE_CASES)) {
      const detection = detections.find((d) => d.alert === alert);
      const tests = unitTestFile(area).tests.find((t) => t.name === group);
      assert.ok(detection && tests, `${alert}: no detection or no test group "${group}"`);
      const cases = (tests.alert_rule_test ?? []).filter((c) => c.alertname === alert);
      const firing = Math.min(
        ...cases.filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => seconds(c.eval_time)),
      );
      const before = cases.find((c) => seconds(c.eval_time) === firing - detection.evaluation);
      assert.deepEqual(before?.exp_alerts, [], `${alert} is not shown silent one step before`);
      const bound =
        detection.scrapeInterval + detection.window + detection.evaluation + detection.hold;
      found[alert] = [firing - onset, bound];
    }
    const late = Object.entries(found).filter(([, [fires, bound]]) => fires > bound);
    assert.deepEqual(late, [], "cases that fire later than the model allows");
    assert.deepEqual(found, {
      PaymentFailuresHigh: [15, 22],
      BackendDown: [20, 40],
      RedisDown: [20, 40],
      PostgresDown: [60, 85],
    });
  });
});
