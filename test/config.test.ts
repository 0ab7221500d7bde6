import assert from "node:assert/strict";
import * as fc from "fast-check";
import { ConfigError, loadSettings, validateSettings } from "../components/config/load";
import { SettingName } from "../components/config/settings";
import { parseSize } from "../components/config/sizes";

type Raw = Partial<Record<SettingName, string>>;

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
        "deadMansSwitchUrl: must be set in prod, or nobody is paged when the host or its monitoring dies",
        "backupBucket: must name the S3 bucket of the backups in prod",
        "aws:region: must be set in prod, the region of the backup bucket, such as eu-west-1",
      ],
    );
  });

  it("refuses a heartbeat URL that is not https, which would send the Watchdog in clear text", () => {
    assert.deepEqual(problemsOf({ deadMansSwitchUrl: "http://hc-ping.example/x" }), [
      "deadMansSwitchUrl: must be the https:// ping URL of the heartbeat check",
    ]);
    assert.deepEqual(problemsOf({ deadMansSwitchUrl: "https://hc-ping.example/x" }), []);
  });

  it("refuses a pool that leaves Postgres no headroom for admin and monitoring", () => {
    assert.match(
      problemsOf({ backendDbPoolMax: "95", postgresMaxConnections: "100" })[0],
      /^backendDbPoolMax: must leave 10 connections of postgresMaxConnections \(100\)/,
    );
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

  it("never repeats a secret value in its messages", () => {
    const secret = "short-secret";
    const problems = problemsOf({ postgresPassword: secret, redisPassword: secret });
    assert.equal(problems.length, 2);
    for (const problem of problems) {
      assert.ok(!problem.includes(secret), problem);
    }
  });

  it("requires the Grafana Cloud token when a Cloud URL is set, naming both keys", () => {
    assert.deepEqual(problemsOf({ grafanaCloudUrl: "https://waste.grafana.net" }), [
      "grafanaCloudToken: must be set when grafanaCloudUrl is: the stack manages the Cloud stack's dashboards with it",
    ]);
    assert.deepEqual(
      validate({ grafanaCloudUrl: "https://waste.grafana.net", grafanaCloudToken: "glsa_x" })
        .problems,
      [],
    );
  });

  it("refuses a Grafana Cloud URL that is not https, and a token without a URL", () => {
    assert.deepEqual(
      problemsOf({ grafanaCloudUrl: "http://waste.grafana.net/d", grafanaCloudToken: "glsa_x" }),
      [
        'grafanaCloudUrl: must be the https:// URL of the Grafana Cloud stack, or empty (got "http://waste.grafana.net/d")',
      ],
    );
    assert.deepEqual(problemsOf({ grafanaCloudToken: "glsa_secret" }), [
      "grafanaCloudUrl: must be set when grafanaCloudToken is, or the token goes unused",
    ]);
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
  const ipv4 = fc.ipV4();
  const cidr4 = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, b]) => `${a}/${b}`);
  const ipv6 = fc.ipV6();
  const cidr6 = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, b]) => `${a}/${b}`);

  it("accepts every IPv4 and IPv6 address and CIDR block in the deny list", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(ipv4, cidr4, ipv6, cidr6), { maxLength: 8 }), (entries) => {
        assert.deepEqual(validate({ denyList: JSON.stringify(entries) }).problems, []);
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
      fc.property(fc.integer({ min: -100000, max: 200000 }), (port) => {
        const problems = validate({ nginxStatusPort: String(port) }).problems;
        const valid = port >= 1 && port <= 65535 && ![80, 443, 5432].includes(port);
        assert.equal(problems.length === 0, valid, `port ${port}: ${JSON.stringify(problems)}`);
      }),
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
