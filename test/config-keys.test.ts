import assert from "node:assert/strict";
import { ConfigError, loadSettings } from "../components/config/load";
import { MIN_PROMETHEUS_RETENTION_HOURS } from "../components/config/fields";
import { ruleAreas } from "../components/monitoring/rules";
import { GRAFANA_CLOUD, problemsOf, validate } from "./support/config-validation";

describe("configuration validation", () => {
  it("accepts the defaults alone", () => {
    assert.deepEqual(validate({}).problems, []);
  });

  it("refuses an image tag of latest, naming the key and the fix", () => {
    assert.deepEqual(problemsOf({ backendTag: "latest" }), [
      `backendTag: must pin a version or a sha256 digest; 'latest' changes without a deploy (got "latest")`,
    ]);
  });

  it("refuses a memory limit without a unit", () => {
    assert.deepEqual(problemsOf({ redisMemory: "512" }), [
      'redisMemory: must be a size with a unit, such as 256m or 2g (k, m or g) (got "512")',
    ]);
  });

  it("refuses memory sizes below what Docker, PostgreSQL and Redis can work with", () => {
    assert.deepEqual(
      problemsOf({
        backendMemory: "1023k",
        postgresWorkMem: "63k",
        postgresSharedBuffers: "127k",
        redisMaxMemory: "1023k",
      }),
      [
        'postgresSharedBuffers: must be at least 128k, the smallest shared_buffers PostgreSQL starts with (got "127k")',
        'postgresWorkMem: must be at least 64k, the smallest work_mem PostgreSQL accepts (got "63k")',
        'redisMaxMemory: must be at least 1m: below that Redis evicts nearly every key it is given (got "1023k")',
        'backendMemory: must be at least 6m, the smallest memory limit Docker accepts (got "1023k")',
      ],
    );
  });

  it("refuses a negative pool size", () => {
    assert.deepEqual(problemsOf({ backendDbPoolMax: "-5" }), [
      "backendDbPoolMax: must be at least 1 (got -5)",
    ]);
  });

  it("refuses a port out of range and a port that is not a number", () => {
    assert.deepEqual(problemsOf({ httpsPort: "70000", httpPort: "eighty" }), [
      'httpPort: must be a whole number (got "eighty")',
      "httpsPort: must be a port from 1 to 65535 (got 70000)",
    ]);
  });

  it("names each malformed entry of the deny list by its index", () => {
    assert.deepEqual(
      problemsOf({ denyList: JSON.stringify(["203.0.113.7", "300.1.1.1", "10.0.0.0/33"]) }),
      [
        'denyList[1]: must be an IP address or CIDR block, such as 203.0.113.7 or 198.51.100.0/24 (got "300.1.1.1")',
        'denyList[2]: must be an IP address or CIDR block, such as 203.0.113.7 or 198.51.100.0/24 (got "10.0.0.0/33")',
      ],
    );
  });

  it("refuses deny-list entries nginx cannot read or that would refuse everyone", () => {
    const entries = [
      "fe80::1%eth0",
      "0.0.0.0/0",
      "::/0",
      "fe80::%2/64",
      "1:2:3:4:5:6:7::",
      "255.255.255.255/32",
      "::ffff:0x7f.0.0.1",
      "2001:db8::/32",
      "1:2:3:4:5:6:7::/0",
    ];
    assert.deepEqual(problemsOf({ denyList: JSON.stringify(entries) }), [
      'denyList[0]: must not carry a zone id such as %eth0: nginx reads plain addresses only (got "fe80::1%eth0")',
      'denyList[1]: must not be a /0 block: it would refuse every client (got "0.0.0.0/0")',
      'denyList[2]: must not be a /0 block: it would refuse every client (got "::/0")',
      'denyList[3]: must not carry a zone id such as %eth0: nginx reads plain addresses only (got "fe80::%2/64")',
      'denyList[4]: must write a last zero group as 0, not as "::", which nginx refuses (got "1:2:3:4:5:6:7::")',
      'denyList[5]: must be written without a prefix: nginx cannot read 255.255.255.255 with one (got "255.255.255.255/32")',
      'denyList[6]: must be an IP address or CIDR block, such as 203.0.113.7 or 198.51.100.0/24 (got "::ffff:0x7f.0.0.1")',
      'denyList[8]: must not be a /0 block: it would refuse every client (got "1:2:3:4:5:6:7::/0")',
    ]);
  });

  it("refuses a deny list that is not a list", () => {
    assert.deepEqual(problemsOf({ denyList: "203.0.113.7" }), [
      "denyList: must be a list, set with `pulumi config set --path 'key[0]' value`",
    ]);
  });

  it("reports every problem at once rather than the first", () => {
    const problems = problemsOf({
      backendTag: "latest",
      frontendMemory: "1",
      backendDbPoolMax: "0",
      environment: "staging",
    });
    assert.deepEqual(
      problems.map((p) => p.split(":")[0]),
      ["environment", "backendTag", "backendDbPoolMax", "frontendMemory"],
    );
    assert.match(problems[0], /must be one of dev, prod/);
  });

  it("keeps Prometheus's samples for at least 8 days, so the week-ago comparisons find data", () => {
    assert.deepEqual(problemsOf({ prometheusRetention: "7d" }), [
      'prometheusRetention: must be at least 8d (192h): the churn alert compares with a week ago (offset 1w) (got "7d")',
    ]);
    assert.deepEqual(problemsOf({ prometheusRetention: "168h" }).length, 1);
    for (const enough of ["8d", "192h", "2w", "1y"]) {
      assert.deepEqual(problemsOf({ prometheusRetention: enough }), [], enough);
    }
  });

  it("sets the retention floor above the furthest look-back of any alert rule", () => {
    const seconds: Record<string, number> = {
      s: 1,
      m: 60,
      h: 3600,
      d: 86400,
      w: 604800,
      y: 31536000,
    };
    const toSeconds = (text: string) => seconds[text.slice(-1)] * Number(text.slice(0, -1));
    // Prometheus looks back up to 5 minutes for the last sample of an instant selector.
    const staleness = 300;
    for (const area of ruleAreas(20)) {
      for (const rule of area.rules) {
        const offsets = [...rule.expr.matchAll(/offset (\d+[smhdwy])/g)].map((m) =>
          toSeconds(m[1]),
        );
        const ranges = [...rule.expr.matchAll(/\[(\d+[smhdwy])[\]:]/g)].map((m) => toSeconds(m[1]));
        const lookBack = Math.max(0, ...offsets) + Math.max(staleness, ...ranges);
        assert.ok(lookBack < MIN_PROMETHEUS_RETENTION_HOURS * 3600, `${rule.alert}: ${lookBack} s`);
      }
    }
  });

  it("refuses a heartbeat URL that is not https, which would send the Watchdog in clear text", () => {
    assert.deepEqual(problemsOf({ deadMansSwitchUrl: "http://hc-ping.example/x" }), [
      "deadMansSwitchUrl: must be the https:// ping URL of the heartbeat check",
    ]);
    assert.deepEqual(problemsOf({ deadMansSwitchUrl: "https://hc-ping.example/x" }), []);
  });

  it("refuses a Postgres major version other than 15 and a Redis other than 7", () => {
    assert.deepEqual(problemsOf({ postgresTag: "16-3.4", redisTag: "6.2" }), [
      'postgresTag: must be a PostgreSQL 15 tag such as 15-3.4 (got "16-3.4")',
      'redisTag: must be a Redis 7 tag such as 7.2-alpine (got "6.2")',
    ]);
  });

  it("never repeats a secret value in its messages", () => {
    const secret = "short-secret";
    const problems = problemsOf({ postgresPassword: secret, redisPassword: secret });
    assert.equal(problems.length, 2);
    for (const problem of problems) {
      assert.ok(!problem.includes(secret), problem);
    }
  });

  it("refuses Grafana Cloud URLs that are not https and a user that is not an instance ID", () => {
    assert.deepEqual(
      problemsOf({
        ...GRAFANA_CLOUD,
        grafanaCloudUrl: "http://waste.grafana.net/d",
        grafanaCloudPrometheusUrl: "http://prometheus-prod-01-eu-west-0.grafana.net/api/prom/push",
        grafanaCloudPrometheusUser: "waste",
      }),
      [
        'grafanaCloudUrl: must be the https:// URL of the Grafana Cloud stack, or empty (got "http://waste.grafana.net/d")',
        "grafanaCloudPrometheusUrl: must be the https:// query URL of the stack's hosted Prometheus, " +
          "ending in /api/prom, as its page under Connections shows it " +
          '(got "http://prometheus-prod-01-eu-west-0.grafana.net/api/prom/push")',
        "grafanaCloudPrometheusUser: must be the hosted Prometheus's numeric instance ID, " +
          'the user its page shows beside the URL (got "waste")',
      ],
    );
  });

  it("refuses a short Grafana admin password without echoing it", () => {
    assert.deepEqual(problemsOf({ grafanaAdminPassword: "short-one" }), [
      "grafanaAdminPassword: must be at least 16 characters, or empty to have one generated",
    ]);
  });

  it("throws one ConfigError that Pulumi prints without a stack trace", () => {
    const config = {
      name: "waste-management",
      get: (key: string) => ({ backendTag: "latest", httpPort: "0" })[key],
    };
    assert.throws(
      () => loadSettings(config as never),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        // RunError is the SDK's marker for "print the message only".
        assert.equal((error as unknown as Record<string, unknown>).__pulumiRunError, true);
        assert.equal(
          error.message,
          [
            "The stack configuration has 2 problems; nothing was created:",
            "  - waste-management:httpPort: must be a port from 1 to 65535 (got 0)",
            "  - waste-management:backendTag: must pin a version or a sha256 digest; 'latest' changes without a deploy (got \"latest\")",
            "Fix each with `pulumi config set <key> <value>` (add --secret for secrets) and run again.",
          ].join("\n"),
        );
        return true;
      },
    );
  });
});
