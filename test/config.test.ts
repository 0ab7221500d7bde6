import assert from "node:assert/strict";
import * as fc from "fast-check";
import { ConfigError, loadSettings, validateSettings } from "../components/config/load";
import * as field from "../components/config/fields";
import { MIN_PROMETHEUS_RETENTION_HOURS } from "../components/config/fields";
import { ruleAreas } from "../components/monitoring/rules";
import { SETTINGS, SettingName } from "../components/config/settings";
import { parseSize, sizeBytes, toMegabytes, toPostgresSize } from "../components/config/sizes";
import { FIXED_HOST_PORTS } from "../components/host-ports";
import { roleConnectionLimits } from "../components/postgres/connections";
import { renderPostgresConf } from "../components/postgres/settings";

type Raw = Partial<Record<SettingName, string>>;

/** A complete Grafana Cloud configuration: the stack, and its hosted Prometheus. */
const GRAFANA_CLOUD = {
  grafanaCloudUrl: "https://waste.grafana.net",
  grafanaCloudToken: "glsa_x",
  grafanaCloudPrometheusUrl: "https://prometheus-prod-01-eu-west-0.grafana.net/api/prom",
  grafanaCloudPrometheusUser: "1234567",
  grafanaCloudPrometheusToken: "glc_x",
};

const RUNBOOK_URL =
  "https://git.wastemanagement.example/platform/waste-management-infra/-/blob/main/docs/runbook.md";

function validate(raw: Raw) {
  return validateSettings((key) => raw[key]);
}

function problemsOf(raw: Raw): string[] {
  return validate(raw).problems.map((p) => `${p.key}: ${p.message}`);
}

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

  it("reports cross-key problems beside single-key ones, in one list", () => {
    assert.deepEqual(
      problemsOf({
        httpPort: "0",
        postgresSharedBuffers: "4g",
        backendDbPoolMax: "95",
        nginxStatusPort: "5432",
      }),
      [
        "httpPort: must be a port from 1 to 65535 (got 0)",
        "postgresAdminPort: must differ from nginxStatusPort (both are 5432)",
        "postgresSharedBuffers: must be at most half of postgresMemory (2g); about a quarter is usual",
        "backendDbPoolMax: needs postgresMaxConnections of at least 118 (it is 100): the app role's limit of 100 (pool 95 + 5), the reporting role's 10, the monitoring role's 5 and 3 superuser_reserved_connections; raise postgresMaxConnections or lower backendDbPoolMax",
      ],
    );
  });

  it("skips only the cross-key rules whose inputs failed on their own", () => {
    assert.deepEqual(
      problemsOf({ postgresMemory: "2", postgresSharedBuffers: "4g", redisMaxMemory: "1g" }),
      [
        'postgresMemory: must be a size with a unit, such as 256m or 2g (k, m or g) (got "2")',
        "redisMaxMemory: must be at most 75% of redisMemory (512m), leaving room for rewrites and forks",
      ],
    );
  });

  it("checks the backup schedule while other keys fail", () => {
    assert.deepEqual(
      problemsOf({ backendTag: "latest", backupIncrementalSchedule: "0 * * * *" }).map(
        (p) => p.split(":")[0],
      ),
      ["backendTag", "backupIncrementalSchedule"],
    );
  });

  it("requires the certificate and key when tlsMode is config, without echoing secrets", () => {
    assert.deepEqual(problemsOf({ tlsMode: "config", tlsPrivateKey: "not a key" }), [
      "tlsCertificate: must hold a PEM certificate chain when tlsMode is config",
      "tlsPrivateKey: must hold a PEM private key when tlsMode is config",
    ]);
  });

  it("refuses a self-signed certificate in prod", () => {
    const prod = {
      environment: "prod",
      slackWebhookUrl: "https://hooks.example/x",
      runbookUrl: RUNBOOK_URL,
      deadMansSwitchUrl: "https://hc-ping.example/x",
    };
    assert.deepEqual(problemsOf({ ...prod, pagerdutyRoutingKey: "r".repeat(32) }), [
      "tlsMode: must be config in prod: browsers refuse a self-signed certificate",
      "backupBucket: must name the S3 bucket of the backups in prod",
      "aws:region: must be set in prod, the region of the backup bucket, such as eu-west-1",
    ]);
  });

  it("requires the receivers' credentials in prod, so that critical alerts reach someone", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----";
    const key = "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----";
    assert.deepEqual(
      problemsOf({
        environment: "prod",
        tlsMode: "config",
        tlsCertificate: pem,
        tlsPrivateKey: key,
      }),
      [
        "slackWebhookUrl: must be set in prod, or critical alerts reach nobody",
        "pagerdutyRoutingKey: must be set in prod, or critical alerts reach nobody",
        'runbookUrl: must be an absolute https:// URL in prod, such as https://git.example.com/team/repo/-/blob/main/docs/runbook.md: a relative link in a page or a Slack message opens nothing (got "docs/runbook.md")',
        "deadMansSwitchUrl: must be set in prod, or nobody is paged when the host or its monitoring dies",
        "backupBucket: must name the S3 bucket of the backups in prod",
        "aws:region: must be set in prod, the region of the backup bucket, such as eu-west-1",
      ],
    );
  });

  it("takes any runbook link in dev, and only an absolute https:// URL in prod", () => {
    const prod = {
      environment: "prod",
      tlsMode: "config",
      tlsCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
      tlsPrivateKey: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
      slackWebhookUrl: "https://hooks.example/x",
      pagerdutyRoutingKey: "r".repeat(32),
      backupBucket: "waste-backups",
    };
    const readForeign = (key: string) => (key === "aws:region" ? "eu-west-1" : undefined);
    const runbookProblems = (raw: Raw) =>
      validateSettings((key) => raw[key], readForeign)
        .problems.filter((p) => p.key === "runbookUrl")
        .map((p) => p.message.split(":")[0]);
    assert.deepEqual(runbookProblems({ runbookUrl: "docs/runbook.md" }), []);
    assert.deepEqual(runbookProblems({ ...prod, runbookUrl: RUNBOOK_URL }), []);
    for (const url of [
      "docs/runbook.md",
      "http://git.example.com/runbook.md",
      "https://",
      "/runbook.md",
    ]) {
      assert.deepEqual(
        runbookProblems({ ...prod, runbookUrl: url }),
        ["must be an absolute https"],
        url,
      );
    }
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

  it("refuses a pool whose role limits and superuser slots exceed max_connections, naming each part", () => {
    assert.deepEqual(problemsOf({ backendDbPoolMax: "85", postgresMaxConnections: "100" }), [
      "backendDbPoolMax: needs postgresMaxConnections of at least 108 (it is 100): the app role's " +
        "limit of 90 (pool 85 + 5), the reporting role's 10, the monitoring role's 5 and 3 " +
        "superuser_reserved_connections; raise postgresMaxConnections or lower backendDbPoolMax",
    ]);
    assert.deepEqual(problemsOf({ backendDbPoolMax: "77", postgresMaxConnections: "100" }), []);
  });

  it("asks for exactly the connections the roles and the server are given", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 10, max: 5000 }),
        (pool, max) => {
          const accepted = !validate({
            backendDbPoolMax: String(pool),
            postgresMaxConnections: String(max),
          }).problems.some((p) => p.key === "backendDbPoolMax");
          const roles = Object.values(roleConnectionLimits(pool));
          const conf = renderPostgresConf({
            memoryBytes: 2 * 1024 ** 3,
            sharedBuffersBytes: 512 * 1024 ** 2,
            workMemBytes: 8 * 1024 ** 2,
            maxConnections: max,
          });
          const reserved = Number(/^superuser_reserved_connections = (\d+)$/m.exec(conf)?.[1]);
          const needed = roles.reduce((sum, limit) => sum + limit, reserved);
          assert.equal(accepted, needed <= max, `pool ${pool}, max ${max}`);
        },
      ),
    );
  });

  it("refuses a heartbeat URL that is not https, which would send the Watchdog in clear text", () => {
    assert.deepEqual(problemsOf({ deadMansSwitchUrl: "http://hc-ping.example/x" }), [
      "deadMansSwitchUrl: must be the https:// ping URL of the heartbeat check",
    ]);
    assert.deepEqual(problemsOf({ deadMansSwitchUrl: "https://hc-ping.example/x" }), []);
  });

  it("refuses shared_buffers above half the Postgres memory limit", () => {
    assert.match(
      problemsOf({ postgresSharedBuffers: "2g", postgresMemory: "2g" })[0],
      /^postgresSharedBuffers: must be at most half of postgresMemory \(2g\)/,
    );
  });

  it("refuses a Postgres major version other than 15 and a Redis other than 7", () => {
    assert.deepEqual(problemsOf({ postgresTag: "16-3.4", redisTag: "6.2" }), [
      'postgresTag: must be a PostgreSQL 15 tag such as 15-3.4 (got "16-3.4")',
      'redisTag: must be a Redis 7 tag such as 7.2-alpine (got "6.2")',
    ]);
  });

  it("refuses overlapping subnets and ports used twice", () => {
    assert.deepEqual(problemsOf({ dataSubnet: "172.28.0.128/25", nginxStatusPort: "443" }), [
      "nginxStatusPort: must differ from httpsPort (both are 443)",
      "dataSubnet: must not overlap edgeSubnet (172.28.0.0/24)",
    ]);
  });

  it("refuses a configurable port that a fixed loopback port of the stack already holds", () => {
    assert.deepEqual(problemsOf({ nginxStatusPort: "3001", httpsPort: "9090" }), [
      "httpsPort: must not be 9090: the stack publishes prometheus on 127.0.0.1:9090",
      "nginxStatusPort: must not be 3001: the stack publishes backend on 127.0.0.1:3001",
    ]);
  });

  it("lets a configurable port take Grafana's when Grafana Cloud replaces the container", () => {
    assert.deepEqual(problemsOf({ nginxStatusPort: String(FIXED_HOST_PORTS.grafana) }), [
      "nginxStatusPort: must not be 3004: the stack publishes grafana on 127.0.0.1:3004",
    ]);
    assert.deepEqual(problemsOf({ ...GRAFANA_CLOUD, nginxStatusPort: "3004" }), []);
  });

  it("never repeats a secret value in its messages", () => {
    const secret = "short-secret";
    const problems = problemsOf({ postgresPassword: secret, redisPassword: secret });
    assert.equal(problems.length, 2);
    for (const problem of problems) {
      assert.ok(!problem.includes(secret), problem);
    }
  });

  it("requires every Grafana Cloud key once one is set, naming each missing key", () => {
    const together =
      "must be set with the other Grafana Cloud keys (grafanaCloudUrl, grafanaCloudToken, " +
      "grafanaCloudPrometheusUrl, grafanaCloudPrometheusUser, grafanaCloudPrometheusToken): " +
      "set all five, or none to run Grafana on the host";
    assert.deepEqual(problemsOf({ grafanaCloudUrl: "https://waste.grafana.net" }), [
      `grafanaCloudToken: ${together}`,
      `grafanaCloudPrometheusUrl: ${together}`,
      `grafanaCloudPrometheusUser: ${together}`,
      `grafanaCloudPrometheusToken: ${together}`,
    ]);
    assert.deepEqual(problemsOf({ grafanaCloudPrometheusToken: "glc_secret" }), [
      `grafanaCloudUrl: ${together}`,
      `grafanaCloudToken: ${together}`,
      `grafanaCloudPrometheusUrl: ${together}`,
      `grafanaCloudPrometheusUser: ${together}`,
    ]);
    assert.deepEqual(validate(GRAFANA_CLOUD).problems, []);
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

describe("configuration properties", () => {
  // 255.255.255.255 takes no prefix in nginx, and a trailing "::" standing for one group neither.
  const ipv4 = fc.ipV4();
  const cidr4 = fc
    .tuple(fc.ipV4(), fc.integer({ min: 1, max: 32 }))
    .filter(([a]) => a !== "255.255.255.255")
    .map(([a, b]) => `${a}/${b}`);
  const ipv6 = fc.ipV6().filter((a) => !/^([0-9a-f]{1,4}:){7}:$/i.test(a));
  const cidr6 = fc.tuple(ipv6, fc.integer({ min: 1, max: 128 })).map(([a, b]) => `${a}/${b}`);

  it("accepts every IPv4 and IPv6 address and CIDR block in the deny list but /0", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(ipv4, cidr4, ipv6, cidr6), { maxLength: 8 }), (entries) => {
        assert.deepEqual(validate({ denyList: JSON.stringify(entries) }).problems, []);
      }),
    );
  });

  it("refuses any deny-list entry with a zone id or a /0 prefix, naming its index", () => {
    const zoned = fc
      .tuple(fc.ipV6(), fc.stringMatching(/^[a-z0-9]{1,8}$/))
      .map(([a, zone]) => `${a}%${zone}`);
    const everyone = fc.oneof(fc.ipV4(), fc.ipV6()).map((a) => `${a}/0`);
    fc.assert(
      fc.property(fc.oneof(zoned, everyone), (entry) => {
        const problems = validate({ denyList: JSON.stringify(["192.0.2.1", entry]) }).problems;
        assert.deepEqual(
          problems.map((p) => p.key),
          ["denyList[1]"],
        );
        assert.match(problems[0].message, /zone id|\/0 block/);
      }),
    );
  });

  it("refuses any deny-list entry with an octet above 255 or a prefix above 32", () => {
    const badOctet = fc
      .tuple(fc.ipV4(), fc.integer({ min: 256, max: 999 }))
      .map(([a, octet]) => a.replace(/^\d+/, String(octet)));
    const badPrefix = fc
      .tuple(fc.ipV4(), fc.integer({ min: 33, max: 999 }))
      .map(([a, bits]) => `${a}/${bits}`);
    fc.assert(
      fc.property(fc.oneof(badOctet, badPrefix), (entry) => {
        const problems = validate({ denyList: JSON.stringify(["192.0.2.1", entry]) }).problems;
        assert.equal(problems.length, 1);
        assert.equal(problems[0].key, "denyList[1]");
      }),
    );
  });

  it("accepts exactly the ports from 1 to 65535", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -100000, max: 200000 }),
          fc.constantFrom(...Object.values(FIXED_HOST_PORTS)),
        ),
        (port) => {
          const problems = validate({ nginxStatusPort: String(port) }).problems;
          const taken = [80, 443, 5432, ...Object.values(FIXED_HOST_PORTS)];
          const valid = port >= 1 && port <= 65535 && !taken.includes(port);
          assert.equal(problems.length === 0, valid, `port ${port}: ${JSON.stringify(problems)}`);
        },
      ),
    );
  });

  it("accepts a size exactly when it has a k, m or g unit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.constantFrom("", "k", "m", "g", "kb", "MB", "G", "t", "mib", " "),
        (amount, unit) => {
          const text = `${amount}${unit}`;
          const parsed = parseSize(text);
          assert.equal(parsed !== undefined, /^(k|m|g)b?$/i.test(unit), text);
        },
      ),
    );
  });

  const containerMemoryKeys = (Object.keys(SETTINGS) as SettingName[]).filter(
    (key) => SETTINGS[key].schema === field.containerMemory,
  );
  const anySize = fc
    .tuple(fc.integer({ min: 1, max: 8192 }), fc.constantFrom("k", "m", "g", "kb", "MB", "G", "Kb"))
    .map(([amount, unit]) => `${amount}${unit}`);

  it("gives every container's memory setting the Docker minimum", () => {
    assert.deepEqual(containerMemoryKeys, [
      "prometheusMemory",
      "alertmanagerMemory",
      "grafanaMemory",
      "postgresMemory",
      "redisMemory",
      "backendMemory",
      "frontendMemory",
      "nginxMemory",
    ]);
  });

  it("turns every accepted container memory setting into a Docker limit of at least 6 MB", () => {
    fc.assert(
      fc.property(fc.constantFrom(...containerMemoryKeys), anySize, (key, text) => {
        const accepted = !validate({ [key]: text }).problems.some((p) => p.key === key);
        assert.equal(accepted, sizeBytes(text) >= 6 * 1024 ** 2, `${key}: ${text}`);
        if (accepted) {
          assert.ok(toMegabytes(sizeBytes(text)) >= 6, `${key}: ${text}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("renders no PostgreSQL memory setting of zero from an accepted configuration", () => {
    fc.assert(
      fc.property(anySize, anySize, anySize, (memory, sharedBuffers, workMem) => {
        const raw = {
          postgresMemory: memory,
          postgresSharedBuffers: sharedBuffers,
          postgresWorkMem: workMem,
        };
        const result = validate(raw);
        fc.pre(result.values !== undefined);
        const conf = renderPostgresConf({
          memoryBytes: sizeBytes(memory),
          sharedBuffersBytes: sizeBytes(sharedBuffers),
          workMemBytes: sizeBytes(workMem),
          maxConnections: 100,
        });
        for (const name of ["shared_buffers", "work_mem", "effective_cache_size"]) {
          assert.match(conf, new RegExp(`^${name} = '[1-9][0-9]*(kB|MB|GB)'$`, "m"), name);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never converts a size to zero: the helpers throw instead", () => {
    assert.throws(() => sizeBytes("512"), /not a size/);
    assert.throws(() => toMegabytes(1023 * 1024), /below 1 MB/);
    assert.throws(() => toPostgresSize(0), /below 1kB/);
  });

  it("refuses latest in any letter case for every image", () => {
    const keys: SettingName[] = [
      "postgresTag",
      "redisTag",
      "backendTag",
      "frontendTag",
      "nginxTag",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.constantFrom("latest", "LATEST", "Latest"),
        (key, tag) => {
          const problems = validate({ [key]: tag }).problems;
          assert.ok(problems.some((p) => p.key === key && /latest/.test(p.message)));
        },
      ),
    );
  });

  it("refuses any pool size below 1", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000000, max: 0 }), (size) => {
        const problems = validate({ backendDbPoolMax: String(size) }).problems;
        assert.deepEqual(
          problems.map((p) => p.key),
          ["backendDbPoolMax"],
        );
      }),
    );
  });
});
