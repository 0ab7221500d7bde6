import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { DASHBOARD_FOLDER, prometheusJsonData } from "../components/grafana/dashboards";
import { GRAFANA_IMAGE } from "../components/grafana/settings";
import { REMOTE_WRITE_PASSWORD_FILE } from "../components/monitoring/alerting";
import { buildDashboards, dashboardJson } from "../dashboards";
import {
  isSecretValue,
  mockPassword,
  RecordedResource,
  redactSecrets,
  revealSecrets,
} from "../render/engine";
import { CommandResult, requireBinary, run, tempDir } from "./support/processes";
import { devProgram, one, plainInputs } from "./support/program";

const PROMTOOL = "/usr/bin/promtool";

let resources: RecordedResource[];

before(async () => {
  ({ resources } = await devProgram());
});

const ADMIN_PASSWORD = mockPassword("grafana-admin-password");

describe("the dev stack's Grafana on Pulumi's mock engine", () => {
  it("runs Grafana 11 on 127.0.0.1:3004 with its volume, on the monitoring network", () => {
    const inputs = plainInputs(one(resources, "grafana-container"));
    assert.equal(inputs.image, GRAFANA_IMAGE);
    assert.match(GRAFANA_IMAGE, /^grafana\/grafana:11\.\d+\.\d+$/);
    assert.equal(inputs.name, "grafana");
    assert.equal(inputs.memory, 512);
    assert.deepEqual(inputs.ports, [
      { internal: 3000, external: 3004, ip: "127.0.0.1", protocol: "tcp" },
    ]);
    assert.deepEqual(inputs.volumes, [
      { volumeName: "grafana-data", containerPath: "/var/lib/grafana" },
    ]);
    assert.deepEqual(inputs.networksAdvanced, [{ name: "net-monitoring", aliases: ["grafana"] }]);
    assert.deepEqual(inputs.healthcheck, {
      tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3000/api/health"],
      interval: "15s",
      timeout: "5s",
      retries: 3,
      startPeriod: "30s",
    });
  });

  it("turns anonymous access, sign-up and calls home off and reads the admin password from a file", () => {
    assert.deepEqual(plainInputs(one(resources, "grafana-container")).envs, [
      "GF_SERVER_HTTP_PORT=3000",
      "GF_SERVER_ROOT_URL=http://127.0.0.1:3004/",
      "GF_SECURITY_ADMIN_USER=admin",
      "GF_SECURITY_ADMIN_PASSWORD__FILE=/etc/grafana/secrets/admin-password",
      "GF_SECURITY_DISABLE_GRAVATAR=true",
      "GF_SECURITY_COOKIE_SAMESITE=strict",
      "GF_AUTH_ANONYMOUS_ENABLED=false",
      "GF_AUTH_BASIC_ENABLED=true",
      "GF_USERS_ALLOW_SIGN_UP=false",
      "GF_USERS_ALLOW_ORG_CREATE=false",
      "GF_ANALYTICS_REPORTING_ENABLED=false",
      "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
      "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
    ]);
    assert.deepEqual(one(resources, "grafana-admin-password").inputs, {
      length: 32,
      special: false,
      minLower: 4,
      minUpper: 4,
      minNumeric: 4,
    });
  });

  it("uploads the admin password as a secret file Grafana's user can read, and puts it in no env", () => {
    const container = one(resources, "grafana-container");
    assert.deepEqual(plainInputs(container).uploads, [
      {
        file: "/etc/grafana/secrets/admin-password",
        content: ADMIN_PASSWORD,
        permissions: "0444",
      },
    ]);
    assert.equal(JSON.stringify(redactSecrets(container.inputs.uploads)).includes("mockpw"), false);
    assert.ok(JSON.stringify(container.inputs.uploads).includes(ADMIN_PASSWORD));
    for (const resource of resources) {
      const envs = JSON.stringify(revealSecrets(resource.inputs.envs ?? []));
      assert.ok(!envs.includes(ADMIN_PASSWORD), `${resource.name} has the password in an env`);
    }
  });

  it("keeps Grafana's volume when the stack is destroyed", () => {
    const volume = one(resources, "grafana-data");
    assert.deepEqual(volume.inputs, { name: "grafana-data" });
    assert.equal(volume.options.retainOnDelete, true);
    assert.equal(volume.options.protect, false, "protected only in prod");
  });

  it("signs the provider in to the local Grafana as admin, with the password as a secret", () => {
    const provider = one(resources, "dashboards-provider");
    assert.equal(provider.type, "pulumi:providers:grafana");
    assert.ok(isSecretValue(provider.inputs.auth), "the provider's auth is plain");
    assert.deepEqual(plainInputs(provider), {
      url: "http://127.0.0.1:3004",
      auth: `admin:${ADMIN_PASSWORD}`,
      retries: "5",
    });
  });

  it("declares the folder and the Prometheus datasource with stable uids", () => {
    assert.deepEqual(one(resources, "dashboards-folder").inputs, {
      uid: "waste-management",
      title: "Waste management",
    });
    assert.deepEqual(one(resources, "dashboards-prometheus").inputs, {
      name: "Prometheus",
      type: "prometheus",
      uid: "prometheus",
      url: "http://prometheus:9090",
      accessMode: "proxy",
      isDefault: true,
      jsonDataEncoded: prometheusJsonData(),
    });
    assert.deepEqual(JSON.parse(prometheusJsonData()), {
      httpMethod: "POST",
      timeInterval: "15s",
    });
  });

  it("declares one dashboard per built dashboard, in the stack's folder", () => {
    const dashboards = resources.filter((r) => r.type === "grafana:oss/dashboard:Dashboard");
    const built = buildDashboards({ poolMax: 20 });
    assert.deepEqual(
      dashboards.map((d) => [d.name, d.inputs]),
      built.map(({ uid, model }) => [
        `dashboards-${uid}`,
        { configJson: dashboardJson(model), folder: DASHBOARD_FOLDER.uid, overwrite: true },
      ]),
    );
  });

  it("manages the folder, the datasource and the dashboards with the explicit provider only", () => {
    const managed = resources.filter((r) => r.type.startsWith("grafana:"));
    assert.equal(managed.length, 5);
    for (const resource of managed) {
      assert.match(
        resource.options.provider ?? "",
        /GrafanaDashboards\$pulumi:providers:grafana::dashboards-provider::/,
        resource.name,
      );
    }
  });

  it("defines no Grafana alert rule: alerts stay in Prometheus and Alertmanager", () => {
    const alerting = resources.filter(
      (r) => r.type.startsWith("grafana:alerting") || /rule|contact|notification/i.test(r.type),
    );
    assert.deepEqual(alerting, []);
  });
});

describe("a stack that points at Grafana Cloud", () => {
  const token = "glsa_cloud-token-for-the-render-test_0123456789";
  const metricsToken = "glc_metrics-token-for-the-render-test_9876543210";
  const queryUrl = "https://prometheus-prod-01-eu-west-0.grafana.net/api/prom";
  let dir: string;
  let result: CommandResult;
  let entries: { type: string; name: string; inputs: Record<string, unknown> }[];

  before(async () => {
    dir = tempDir("render-grafana-cloud");
    fs.writeFileSync(
      path.join(dir, "Pulumi.cloud.yaml"),
      [
        "config:",
        "  waste-management:grafanaCloudUrl: https://waste.grafana.net",
        `  waste-management:grafanaCloudToken: ${token}`,
        `  waste-management:grafanaCloudPrometheusUrl: ${queryUrl}`,
        '  waste-management:grafanaCloudPrometheusUser: "1234567"',
        `  waste-management:grafanaCloudPrometheusToken: ${metricsToken}`,
        "",
      ].join("\n"),
    );
    const root = path.join(__dirname, "..");
    result = await run(
      path.join(root, "node_modules", ".bin", "ts-node"),
      [
        "-T",
        path.join(root, "render", "main.ts"),
        "cloud",
        "--stack-dir",
        dir,
        "--out",
        path.join(dir, "out"),
      ],
      { timeoutMs: 60000 },
    );
    assert.equal(result.code, 0, result.stderr);
    const text = fs.readFileSync(path.join(dir, "out", "resources.json"), "utf8");
    entries = JSON.parse(text) as typeof entries;
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs no Grafana container, volume or admin password", () => {
    const names = entries.map((e) => e.name);
    for (const name of ["grafana", "grafana-container", "grafana-data", "grafana-admin-password"]) {
      assert.ok(!names.includes(name), `${name} is declared`);
    }
  });

  it("points the provider at the Cloud stack with the token as a secret", () => {
    const provider = entries.find((e) => e.name === "dashboards-provider");
    assert.deepEqual(provider?.inputs, {
      url: "https://waste.grafana.net",
      auth: "[secret]",
      retries: "5",
    });
    assert.equal(entries.filter((e) => e.type === "grafana:oss/dashboard:Dashboard").length, 3);
  });

  it("writes neither token into any rendered file", () => {
    const out = path.join(dir, "out");
    for (const file of fs.readdirSync(out, { recursive: true, encoding: "utf8" })) {
      const full = path.join(out, file);
      if (fs.statSync(full).isFile()) {
        const text = fs.readFileSync(full, "utf8");
        assert.ok(!text.includes(token), `${file} holds the Grafana token`);
        assert.ok(!text.includes(metricsToken), `${file} holds the metrics token`);
      }
    }
  });

  it("reads the hosted Prometheus with basic auth, the token a secret, and keeps the Cloud default", () => {
    const datasource = entries.find((e) => e.name === "dashboards-prometheus");
    assert.deepEqual(datasource?.inputs, {
      name: "Prometheus",
      type: "prometheus",
      uid: "prometheus",
      url: queryUrl,
      accessMode: "proxy",
      basicAuthEnabled: true,
      basicAuthUsername: "1234567",
      secureJsonDataEncoded: "[secret]",
      jsonDataEncoded: prometheusJsonData(),
    });
  });

  it("has Prometheus push every sample to the hosted Prometheus, the token in a secret file", () => {
    const config = parse(
      fs.readFileSync(path.join(dir, "out", "monitoring", "prometheus.yml"), "utf8"),
    ) as { remote_write?: unknown };
    assert.deepEqual(config.remote_write, [
      {
        name: "grafana-cloud",
        url: `${queryUrl}/push`,
        basic_auth: { username: "1234567", password_file: REMOTE_WRITE_PASSWORD_FILE },
      },
    ]);
    const prometheus = entries.find((e) => e.name === "alerting-prometheus");
    const uploads = prometheus?.inputs.uploads as { file: string }[] | string;
    assert.equal(uploads, "[secret]", "the uploads holding the token are not a secret");
  });

  it("renders a prometheus.yml with remote_write that promtool 2.42 accepts", async () => {
    requireBinary(PROMTOOL, "prometheus");
    const out = path.join(dir, "out");
    const rules = path.join(dir, "rules");
    fs.cpSync(path.join(out, "monitoring", "rules"), rules, { recursive: true });
    const passwordFile = path.join(dir, "remote-write-password");
    fs.writeFileSync(passwordFile, metricsToken, { mode: 0o600 });
    const config = path.join(dir, "prometheus.yml");
    fs.writeFileSync(
      config,
      fs
        .readFileSync(path.join(out, "monitoring", "prometheus.yml"), "utf8")
        .replace("/etc/prometheus/rules/*.yml", path.join(rules, "*.yml"))
        .replace(REMOTE_WRITE_PASSWORD_FILE, passwordFile),
    );
    const checked = await run(PROMTOOL, ["check", "config", config]);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    assert.match(
      checked.stdout,
      /SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/,
    );
  });
});
