import assert from "node:assert/strict";
import { FIXED_HOST_PORTS } from "../components/host-ports";
import { RecordedResource } from "../render/engine";
import { devProgram, ofType, plainInputs } from "./support/program";

let resources: RecordedResource[];

before(async () => {
  ({ resources } = await devProgram());
});

const HARDENED = {
  restart: "unless-stopped",
  privileged: false,
  securityOpts: ["no-new-privileges:true"],
  logDriver: "json-file",
  logOpts: { "max-size": "10m", "max-file": "5" },
  init: true,
  mustRun: true,
};

describe("the dev stack on Pulumi's mock engine", () => {
  it("registers exactly the expected resources, by type", () => {
    const counts: Record<string, number> = {};
    for (const r of resources) {
      counts[r.type] = (counts[r.type] ?? 0) + 1;
    }
    assert.deepEqual(counts, {
      "pulumi:pulumi:Stack": 1,
      "waste:network:StackNetworks": 1,
      "waste:database:PostgresServer": 1,
      "waste:database:DatabaseAccess": 1,
      "waste:cache:RedisServer": 1,
      "waste:app:WebService": 2,
      "waste:edge:EdgeProxy": 1,
      "waste:monitoring:Exporters": 1,
      "waste:monitoring:Alerting": 1,
      "waste:monitoring:GrafanaServer": 1,
      "waste:monitoring:GrafanaDashboards": 1,
      "docker:index/network:Network": 4,
      "docker:index/volume:Volume": 9,
      "docker:index/container:Container": 16,
      "docker:index/image:Image": 2,
      "random:index/randomPassword:RandomPassword": 9,
      "waste:backup:BackupRepository": 1,
      "waste:backup:BackupScheduler": 1,
      "tls:index/privateKey:PrivateKey": 1,
      "tls:index/selfSignedCert:SelfSignedCert": 1,
      "pulumi:providers:postgresql": 1,
      "postgresql:index/role:Role": 3,
      "postgresql:index/database:Database": 1,
      "postgresql:index/extension:Extension": 2,
      "postgresql:index/grant:Grant": 8,
      "postgresql:index/defaultPrivileges:DefaultPrivileges": 2,
      "pulumi:providers:grafana": 1,
      "grafana:oss/folder:Folder": 1,
      "grafana:oss/dataSource:DataSource": 1,
      "grafana:oss/dashboard:Dashboard": 3,
    });
  });

  it("names every child after its component and parents it there", () => {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    for (const r of resources.filter((x) => x.custom && !x.type.startsWith("pulumi:"))) {
      const parent = byUrn.get(r.parent ?? "");
      assert.ok(parent, `${r.name} has no recorded parent`);
      assert.ok(parent.type.startsWith("waste:"), `${r.name} is parented to ${parent.type}`);
      assert.ok(
        r.name.startsWith(`${parent.name}-`),
        `${r.name} does not derive from ${parent.name}`,
      );
    }
  });

  it("makes the data tier an internal network and gives each tier its own subnet", () => {
    const networks = ofType(resources, "docker:index/network:Network").map((n) => n.inputs);
    assert.deepEqual(networks, [
      {
        name: "net-edge",
        driver: "bridge",
        internal: false,
        attachable: false,
        ipamConfigs: [{ subnet: "172.28.0.0/24" }],
        labels: [{ label: "waste.tier", value: "edge" }],
      },
      {
        name: "net-data",
        driver: "bridge",
        internal: true,
        attachable: false,
        ipamConfigs: [{ subnet: "172.28.1.0/24" }],
        labels: [{ label: "waste.tier", value: "data" }],
      },
      {
        name: "net-admin",
        driver: "bridge",
        internal: false,
        attachable: false,
        ipamConfigs: [{ subnet: "172.28.2.0/24" }],
        labels: [{ label: "waste.tier", value: "admin" }],
      },
      {
        name: "net-monitoring",
        driver: "bridge",
        internal: false,
        attachable: false,
        ipamConfigs: [{ subnet: "172.28.3.0/24" }],
        labels: [{ label: "waste.tier", value: "monitoring" }],
      },
    ]);
  });

  it("attaches only the backend and the exporters to the data tier besides Postgres and Redis", () => {
    const onData = ofType(resources, "docker:index/container:Container")
      .filter((c) =>
        (plainInputs(c).networksAdvanced as { name: string }[]).some((n) => n.name === "net-data"),
      )
      .map((c) => c.name);
    assert.deepEqual(onData.sort(), [
      "backend-container",
      "backup-container",
      "exporters-postgres-exporter",
      "exporters-redis-exporter",
      "postgres-container",
      "redis-container",
    ]);
  });

  it("hardens every container and pins every image", () => {
    for (const container of ofType(resources, "docker:index/container:Container")) {
      const inputs = plainInputs(container);
      for (const [key, value] of Object.entries(HARDENED)) {
        assert.deepEqual(inputs[key], value, `${container.name}.${key}`);
      }
      assert.equal(inputs.memory, inputs.memorySwap, `${container.name} may swap`);
      assert.ok(typeof inputs.memory === "number" && inputs.memory > 0);
      // A tag, a digest, or the ID of an image the stack builds.
      assert.match(
        inputs.image as string,
        /^([^:@]+(:[^:]+|@sha256:[a-f0-9]{64})|sha256:[a-f0-9]{64})$/,
      );
      assert.doesNotMatch(inputs.image as string, /:latest$/);
    }
  });

  it("replaces every container by deleting the old one first, since names and ports are fixed", () => {
    const containers = ofType(resources, "docker:index/container:Container");
    assert.ok(containers.length > 0);
    for (const container of containers) {
      assert.equal(container.options.deleteBeforeReplace, true, container.name);
    }
  });

  it("publishes no port on a public interface except nginx's 80 and 443", () => {
    const published = ofType(resources, "docker:index/container:Container").flatMap((c) =>
      ((plainInputs(c).ports as { internal: number; external: number; ip: string }[]) ?? []).map(
        (p) => `${c.name} ${p.ip}:${p.external}->${p.internal}`,
      ),
    );
    assert.deepEqual(published.sort(), [
      "alerting-alertmanager 127.0.0.1:9093->9093",
      "alerting-prometheus 127.0.0.1:9090->9090",
      "backend-container 127.0.0.1:3001->3001",
      "frontend-container 127.0.0.1:3000->3000",
      "grafana-container 127.0.0.1:3004->3000",
      "nginx-container 0.0.0.0:8080->80",
      "nginx-container 0.0.0.0:8443->443",
      "nginx-container 127.0.0.1:8081->8081",
      "postgres-container 127.0.0.1:5432->5432",
    ]);
  });

  it("publishes no host port besides the configured ones and the fixed ones the config checks", () => {
    const external = ofType(resources, "docker:index/container:Container").flatMap((c) =>
      ((plainInputs(c).ports as { external: number }[]) ?? []).map((p) => p.external),
    );
    const configured = [8080, 8443, 8081, 5432];
    assert.deepEqual(
      external.sort((a, b) => a - b),
      [...configured, ...Object.values(FIXED_HOST_PORTS)].sort((a, b) => a - b),
    );
  });

  it("keeps every data volume when the stack is destroyed", () => {
    assert.deepEqual(
      ofType(resources, "docker:index/volume:Volume").map((v) => v.inputs),
      [
        { name: "backup-socket" },
        { name: "backup-metrics" },
        { name: "backup-repo" },
        { name: "grafana-data" },
        { name: "postgres-data", labels: [{ label: "waste.backup", value: "pgbackrest" }] },
        { name: "redis-data", labels: [{ label: "waste.backup", value: "redis-rdb" }] },
        { name: "alerting-prometheus-data" },
        { name: "alerting-alertmanager-data" },
        { name: "backup-scratch" },
      ],
    );
    for (const volume of ofType(resources, "docker:index/volume:Volume")) {
      assert.equal(volume.options.retainOnDelete, true, volume.name);
      assert.equal(volume.options.protect, false, `${volume.name} is protected only in prod`);
    }
  });
});
