import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { receiverCredentialUploads } from "../components/monitoring/alerting";
import { renderAlertmanagerConfig } from "../components/monitoring/alertmanager-config";
import { renderBlackboxConfig } from "../components/monitoring/blackbox-config";
import { MONITORING_IMAGES, MTAIL_IMAGE } from "../components/monitoring/images";
import { renderNginxMtailProgram } from "../components/monitoring/mtail";
import { renderPostgresQueries } from "../components/monitoring/postgres-queries";
import { renderPrometheusConfig } from "../components/monitoring/prometheus-config";
import { renderRuleFile, ruleAreas } from "../components/monitoring/rules";
import { RecordedResource } from "../render/engine";
import { devProgram, one, plainInputs } from "./support/program";

let resources: RecordedResource[];

before(async () => {
  ({ resources } = await devProgram());
});

function inputs(name: string): Record<string, unknown> {
  return plainInputs(one(resources, name));
}

function uploads(name: string): Record<string, string> {
  const list = inputs(name).uploads as { file: string; content: string }[];
  return Object.fromEntries(list.map((u) => [u.file, u.content]));
}

function networks(name: string): string[] {
  return (inputs(name).networksAdvanced as { name: string }[]).map((n) => n.name);
}

const DEV_TARGETS = {
  prometheus: "localhost:9090",
  alertmanager: "alertmanager:9093",
  node: "node-exporter:9100",
  containers: "cadvisor:8080",
  postgres: "postgres-exporter:9187",
  redis: "redis-exporter:9121",
  nginx: "nginx-exporter:9113",
  nginxLog: "mtail:3903",
  blackbox: "blackbox-exporter:9115",
  backendUrl: "http://backend:3001",
  frontendUrl: "http://frontend:3000",
  publicUrl: "https://nginx:443/",
  originUrl: "https://nginx:443/",
};

describe("the dev stack's monitoring on Pulumi's mock engine", () => {
  it("runs Prometheus on 127.0.0.1:9090 with its config, every rule file and the retention", () => {
    const prometheus = inputs("alerting-prometheus");
    assert.equal(prometheus.image, MONITORING_IMAGES.prometheus);
    assert.deepEqual(prometheus.command, [
      "--config.file=/etc/prometheus/prometheus.yml",
      "--storage.tsdb.path=/prometheus",
      "--storage.tsdb.retention.time=15d",
      "--web.enable-lifecycle",
    ]);
    assert.deepEqual(prometheus.ports, [
      { internal: 9090, external: 9090, ip: "127.0.0.1", protocol: "tcp" },
    ]);
    assert.deepEqual(prometheus.volumes, [
      { volumeName: "alerting-prometheus-data", containerPath: "/prometheus" },
    ]);
    assert.deepEqual(networks("alerting-prometheus"), ["net-monitoring", "net-edge"]);

    const expected: Record<string, string> = {
      "/etc/prometheus/prometheus.yml": renderPrometheusConfig({
        environment: "dev",
        targets: DEV_TARGETS,
        ruleFiles: "/etc/prometheus/rules/*.yml",
      }),
    };
    for (const area of ruleAreas(20)) {
      expected[`/etc/prometheus/rules/${area.name}.yml`] = renderRuleFile(area, "docs/runbook.md");
    }
    assert.deepEqual(uploads("alerting-prometheus"), expected);
  });

  it("runs Alertmanager on 127.0.0.1:9093 with no receiver credentials in dev", () => {
    const alertmanager = inputs("alerting-alertmanager");
    assert.equal(alertmanager.image, MONITORING_IMAGES.alertmanager);
    assert.deepEqual(alertmanager.ports, [
      { internal: 9093, external: 9093, ip: "127.0.0.1", protocol: "tcp" },
    ]);
    assert.deepEqual(networks("alerting-alertmanager"), ["net-monitoring"]);
    assert.deepEqual(uploads("alerting-alertmanager"), {
      "/etc/alertmanager/alertmanager.yml": renderAlertmanagerConfig({
        slack: false,
        pagerduty: false,
        deadMansSwitch: false,
      }),
    });
  });

  it("puts each exporter on the monitoring network and the network of what it watches", () => {
    const placement = Object.fromEntries(
      resources
        .filter(
          (r) => r.type === "docker:index/container:Container" && r.name.startsWith("exporters-"),
        )
        .map((r) => [r.name, networks(r.name)]),
    );
    assert.deepEqual(placement, {
      "exporters-node-exporter": ["net-monitoring"],
      "exporters-cadvisor": ["net-monitoring"],
      "exporters-postgres-exporter": ["net-monitoring", "net-data"],
      "exporters-redis-exporter": ["net-monitoring", "net-data"],
      "exporters-nginx-exporter": ["net-monitoring", "net-edge"],
      "exporters-mtail": ["net-monitoring"],
      "exporters-blackbox-exporter": ["net-monitoring", "net-edge"],
    });
  });

  it("publishes no exporter port and mounts the host only read-only", () => {
    for (const r of resources.filter((x) => x.name.startsWith("exporters-") && x.custom)) {
      const i = plainInputs(r);
      assert.equal(i.ports, undefined, `${r.name} publishes a port`);
      for (const volume of (i.volumes as { hostPath?: string; readOnly?: boolean }[]) ?? []) {
        assert.equal(volume.readOnly, true, `${r.name} mounts ${volume.hostPath} writable`);
      }
    }
  });

  it("logs postgres_exporter in as the monitoring role, with the queries file", () => {
    const exporter = inputs("exporters-postgres-exporter");
    const password = String(plainInputs(one(resources, "database-monitoring")).password);
    assert.deepEqual(exporter.envs, [
      `DATA_SOURCE_NAME=postgresql://waste_monitoring:${password}@postgres:5432/waste_management?sslmode=disable`,
    ]);
    assert.deepEqual(exporter.command, ["--extend.query-path=/etc/postgres_exporter/queries.yaml"]);
    assert.deepEqual(uploads("exporters-postgres-exporter"), {
      "/etc/postgres_exporter/queries.yaml": renderPostgresQueries(),
    });
  });

  it("logs redis_exporter in as Redis's monitoring user", () => {
    const envs = inputs("exporters-redis-exporter").envs as string[];
    assert.deepEqual(envs.slice(0, 2), [
      "REDIS_ADDR=redis://redis:6379",
      "REDIS_USER=waste_monitoring",
    ]);
    assert.match(envs[2], /^REDIS_PASSWORD=\w{32}$/);
  });

  it("points the nginx exporter at stub_status and mtail at nginx's Docker log", () => {
    assert.deepEqual(inputs("exporters-nginx-exporter").command, [
      "--nginx.scrape-uri=http://nginx:8081/nginx_status",
    ]);
    const mtail = inputs("exporters-mtail");
    assert.equal(mtail.image, MTAIL_IMAGE);
    assert.deepEqual(mtail.command, [
      "--progs",
      "/etc/mtail",
      "--logs",
      "/var/lib/docker/containers/nginx-container-id/nginx-container-id-json.log",
      "--port",
      "3903",
    ]);
    assert.deepEqual(uploads("exporters-mtail"), {
      "/etc/mtail/nginx.mtail": renderNginxMtailProgram(),
    });
    assert.deepEqual(inputs("exporters-mtail-image"), {
      imageName: MTAIL_IMAGE,
      build: { context: "images/mtail" },
      skipPush: true,
      buildOnPreview: false,
    });
  });

  it("gives the blackbox exporter the rendered modules, without verification in dev", () => {
    assert.deepEqual(uploads("exporters-blackbox-exporter"), {
      "/etc/blackbox_exporter/config.yml": renderBlackboxConfig({
        serverName: "localhost",
        verifyPublicCertificate: false,
      }),
    });
  });

  it("uploads prod's receiver credentials as secrets that Alertmanager's nobody user can read", async () => {
    const uploads = receiverCredentialUploads({
      slackWebhookUrl: "https://hooks.slack.test/T0/B0/x",
      pagerdutyRoutingKey: "routing-key",
      deadMansSwitchUrl: "https://hc-ping.test/uuid",
    });
    assert.deepEqual(
      uploads.map((u) => [u.file, u.permissions]),
      [
        ["/etc/alertmanager/secrets/slack-webhook-url", "0444"],
        ["/etc/alertmanager/secrets/pagerduty-waste-mgmt-production.key", "0444"],
        ["/etc/alertmanager/secrets/dead-mans-switch-url", "0444"],
      ],
    );
    for (const upload of uploads) {
      assert.ok(
        await pulumi.isSecret(pulumi.output(upload.content)),
        "every credential is a secret",
      );
    }
    const none = { slackWebhookUrl: "", pagerdutyRoutingKey: "", deadMansSwitchUrl: "" };
    assert.deepEqual(receiverCredentialUploads(none), []);
  });
});
