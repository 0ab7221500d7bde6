import assert from "node:assert/strict";
import * as path from "node:path";
import { parse } from "yaml";
import { requireBinary, run } from "./support/processes";
import { readRendered, renderedStack } from "./support/rendered";
import { allRules } from "./support/rendered-alert-rules";

// The rendered alertmanager.yml checked by Debian's amtool 0.25 (production runs the newer
// Alertmanager of components/monitoring/images.ts, which reads the same configuration).
const AMTOOL = "/usr/bin/amtool";
const STACKS = ["dev", "prod"] as const;

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
