import assert from "node:assert/strict";
import * as fc from "fast-check";
import { validateSettings } from "../components/config/load";
import { FIXED_HOST_PORTS } from "../components/host-ports";
import { roleConnectionLimits } from "../components/postgres/connections";
import { renderPostgresConf } from "../components/postgres/settings";
import { GRAFANA_CLOUD, problemsOf, Raw, validate } from "./support/config-validation";

const RUNBOOK_URL =
  "https://git.wastemanagement.example/platform/waste-management-infra/-/blob/main/docs/runbook.md";

describe("configuration validation", () => {
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

  it("refuses shared_buffers above half the Postgres memory limit", () => {
    assert.match(
      problemsOf({ postgresSharedBuffers: "2g", postgresMemory: "2g" })[0],
      /^postgresSharedBuffers: must be at most half of postgresMemory \(2g\)/,
    );
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
});
