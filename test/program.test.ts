import assert from "node:assert/strict";
import { REDIS_ACL_FILE, REDIS_CONFIG_FILE, renderRedisConf } from "../components/redis/settings";
import {
  POSTGRES_CONFIG_FILE,
  POSTGRES_HBA_FILE,
  renderPostgresConf,
  renderPostgresHba,
} from "../components/postgres/settings";
import { renderNginxConf } from "../components/nginx/settings";
import { renderPgbackrestConf } from "../components/backup/pgbackrest-config";
import { FIXED_HOST_PORTS } from "../components/host-ports";
import {
  isSecretValue,
  mockImageId,
  mockPassword,
  RecordedResource,
  redactSecrets,
} from "../render/engine";
import { devProgram, one, plainInputs } from "./support/program";

const MiB = 1024 ** 2;
const HARDENED = {
  restart: "unless-stopped",
  privileged: false,
  securityOpts: ["no-new-privileges:true"],
  logDriver: "json-file",
  logOpts: { "max-size": "10m", "max-file": "5" },
  init: true,
  mustRun: true,
};

let resources: RecordedResource[];
let outputs: Record<string, unknown> | undefined;

before(async () => {
  ({ resources, outputs } = await devProgram());
});

function ofType(type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

function uploads(container: RecordedResource): Record<string, string> {
  const list = plainInputs(container).uploads as { file: string; content: string }[];
  return Object.fromEntries(list.map((u) => [u.file, u.content]));
}

function env(container: RecordedResource): Record<string, string> {
  const list = plainInputs(container).envs as string[];
  return Object.fromEntries(
    list.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
  );
}

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
    const networks = ofType("docker:index/network:Network").map((n) => n.inputs);
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
    const onData = ofType("docker:index/container:Container")
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
    for (const container of ofType("docker:index/container:Container")) {
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
    const containers = ofType("docker:index/container:Container");
    assert.ok(containers.length > 0);
    for (const container of containers) {
      assert.equal(container.options.deleteBeforeReplace, true, container.name);
    }
  });

  it("publishes no port on a public interface except nginx's 80 and 443", () => {
    const published = ofType("docker:index/container:Container").flatMap((c) =>
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
    const external = ofType("docker:index/container:Container").flatMap((c) =>
      ((plainInputs(c).ports as { external: number }[]) ?? []).map((p) => p.external),
    );
    const configured = [8080, 8443, 8081, 5432];
    assert.deepEqual(
      external.sort((a, b) => a - b),
      [...configured, ...Object.values(FIXED_HOST_PORTS)].sort((a, b) => a - b),
    );
  });

  it("runs Postgres 15 with PostGIS, its rendered settings, a 10 s pg_isready check and a kept volume", () => {
    const container = one(resources, "postgres-container");
    const inputs = plainInputs(container);
    assert.equal(inputs.image, mockImageId("backup-image"));
    assert.deepEqual(inputs.command, ["postgres", "-c", `config_file=${POSTGRES_CONFIG_FILE}`]);
    assert.deepEqual(inputs.healthcheck, {
      tests: ["CMD", "pg_isready", "-U", "postgres", "-d", "postgres"],
      interval: "15s",
      timeout: "10s",
      retries: 3,
      startPeriod: "60s",
    });
    assert.equal(inputs.memory, 1024);
    assert.deepEqual(inputs.volumes, [
      { volumeName: "postgres-data", containerPath: "/var/lib/postgresql/data" },
      { volumeName: "backup-socket", containerPath: "/var/run/postgresql" },
      { volumeName: "backup-repo", containerPath: "/var/lib/pgbackrest" },
    ]);
    assert.deepEqual(uploads(container), {
      [POSTGRES_CONFIG_FILE]: renderPostgresConf({
        memoryBytes: 1024 * MiB,
        sharedBuffersBytes: 256 * MiB,
        workMemBytes: 8 * MiB,
        maxConnections: 100,
      }),
      [POSTGRES_HBA_FILE]: renderPostgresHba({
        allowedSubnets: ["172.28.1.0/24", "172.28.2.0/24"],
      }),
      "/etc/pgbackrest/pgbackrest.conf": renderPgbackrestConf({
        repository: { type: "posix" },
        retentionDays: 14,
        processMax: 2,
      }),
    });
    const vars = env(container);
    assert.equal(vars.POSTGRES_USER, "postgres");
    assert.equal(vars.PGDATA, "/var/lib/postgresql/data/pgdata");
    assert.match(vars.POSTGRES_INITDB_ARGS, /--data-checksums/);
    assert.equal(vars.POSTGRES_PASSWORD.length, 32);
  });

  it("keeps every data volume when the stack is destroyed", () => {
    assert.deepEqual(
      ofType("docker:index/volume:Volume").map((v) => v.inputs),
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
    for (const volume of ofType("docker:index/volume:Volume")) {
      assert.equal(volume.options.retainOnDelete, true, volume.name);
      assert.equal(volume.options.protect, false, `${volume.name} is protected only in prod`);
    }
  });

  it("runs Redis 7 with the rendered redis.conf, an ACL file and a 5 s ping check", () => {
    const container = one(resources, "redis-container");
    const inputs = plainInputs(container);
    assert.equal(inputs.image, "redis:7.2-alpine");
    assert.deepEqual(inputs.command, ["redis-server", REDIS_CONFIG_FILE]);
    assert.deepEqual(inputs.healthcheck, {
      tests: ["CMD", "redis-cli", "ping"],
      interval: "10s",
      timeout: "5s",
      retries: 3,
      startPeriod: "20s",
    });
    assert.equal(inputs.ports, undefined);
    const files = uploads(container);
    assert.equal(
      files[REDIS_CONFIG_FILE],
      renderRedisConf({ maxMemoryBytes: 256 * MiB, evictionPolicy: "allkeys-lru" }),
    );
    assert.match(files[REDIS_ACL_FILE], /^user waste_app on #[a-f0-9]{64} /m);
  });

  it("wires the backend to Postgres and Redis with DB_POOL_MAX and a 5 s /health check", () => {
    const container = one(resources, "backend-container");
    const inputs = plainInputs(container);
    assert.equal(inputs.image, "ghcr.io/waste-management/backend:1.0.0");
    assert.equal(inputs.memory, 512);
    const vars = env(container);
    const dbPassword = vars.DB_PASSWORD;
    const redisPassword = vars.REDIS_PASSWORD;
    assert.equal(dbPassword.length, 32);
    assert.deepEqual(vars, {
      NODE_ENV: "production",
      PORT: "3001",
      DATABASE_URL: `postgres://waste_app:${dbPassword}@postgres:5432/waste_management`,
      DB_HOST: "postgres",
      DB_PORT: "5432",
      DB_NAME: "waste_management",
      DB_USER: "waste_app",
      DB_PASSWORD: dbPassword,
      DB_POOL_MAX: "20",
      REDIS_URL: `redis://waste_app:${redisPassword}@redis:6379/0`,
      REDIS_HOST: "redis",
      REDIS_PORT: "6379",
      REDIS_USERNAME: "waste_app",
      REDIS_PASSWORD: redisPassword,
    });
    assert.deepEqual(inputs.healthcheck, {
      tests: [
        "CMD",
        "node",
        "-e",
        "fetch('http://127.0.0.1:3001/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
      ],
      interval: "15s",
      timeout: "5s",
      retries: 3,
      startPeriod: "30s",
    });
    assert.deepEqual(inputs.networksAdvanced, [
      { name: "net-edge", aliases: ["backend"] },
      { name: "net-data", aliases: ["backend"] },
    ]);
  });

  it("runs the frontend on the edge network with a 10 s /api/health check", () => {
    const inputs = plainInputs(one(resources, "frontend-container"));
    assert.equal(inputs.image, "ghcr.io/waste-management/frontend:1.0.0");
    assert.deepEqual(inputs.envs, [
      "NODE_ENV=production",
      "PORT=3000",
      "PUBLIC_URL=https://localhost:8443",
      "API_URL=http://backend:3001",
    ]);
    assert.deepEqual((inputs.healthcheck as { timeout: string }).timeout, "10s");
    assert.match(
      (inputs.healthcheck as { tests: string[] }).tests[3],
      /127\.0\.0\.1:3000\/api\/health/,
    );
    assert.deepEqual(inputs.networksAdvanced, [{ name: "net-edge", aliases: ["frontend"] }]);
  });

  it("serves nginx with the rendered nginx.conf and a self-signed certificate in dev", () => {
    const container = one(resources, "nginx-container");
    const files = uploads(container);
    assert.equal(
      files["/etc/nginx/nginx.conf"],
      renderNginxConf({
        serverName: "localhost",
        backendUpstream: "backend:3001",
        frontendUpstream: "frontend:3000",
        resolver: "127.0.0.11",
        publicHttpsPort: 8443,
        denyList: [],
        trustedProxies: [],
        rateLimitPerSecond: 10,
        rateLimitBurst: 20,
        statusAllowFrom: ["172.28.0.0/24"],
      }),
    );
    assert.match(files["/etc/nginx/tls/server.crt"], /BEGIN CERTIFICATE/);
    assert.match(files["/etc/nginx/tls/server.key"], /BEGIN PRIVATE KEY/);
    assert.deepEqual(plainInputs(one(resources, "nginx-tls-cert")).dnsNames, ["localhost"]);
    assert.deepEqual(one(resources, "nginx-tls-key").inputs, {
      algorithm: "ECDSA",
      ecdsaCurve: "P256",
    });
  });

  it("runs nginx with a stub_status health check its Alpine and Debian images can both run", () => {
    const inputs = plainInputs(one(resources, "nginx-container"));
    assert.equal(inputs.image, "nginx:1.27-alpine");
    assert.equal(inputs.memory, 256);
    assert.equal(inputs.memorySwap, 256);
    assert.equal(inputs.restart, "unless-stopped");
    assert.deepEqual(inputs.healthcheck, {
      tests: [
        "CMD-SHELL",
        "wget -q -O /dev/null http://127.0.0.1:8081/nginx_status || " +
          "curl -fsS -o /dev/null http://127.0.0.1:8081/nginx_status",
      ],
      interval: "15s",
      timeout: "5s",
      retries: 3,
      startPeriod: "10s",
    });
  });

  it("declares the database, its extensions and three least-privilege roles", () => {
    const roles = ofType("postgresql:index/role:Role").map((r) => {
      const { password, ...rest } = plainInputs(r);
      assert.equal((password as string).length, 32);
      return rest;
    });
    assert.deepEqual(roles, [
      { name: "waste_app", login: true, connectionLimit: 25 },
      { name: "waste_reporting", login: true, connectionLimit: 10, statementTimeout: 300000 },
      { name: "waste_monitoring", login: true, roles: ["pg_monitor"], connectionLimit: 5 },
    ]);
    assert.deepEqual(one(resources, "database-database").inputs, {
      name: "waste_management",
      owner: "postgres",
      encoding: "UTF8",
      template: "template0",
    });
    assert.deepEqual(
      ofType("postgresql:index/extension:Extension").map((e) => e.inputs.name),
      ["postgis", "pg_stat_statements"],
    );
    const grants = ofType("postgresql:index/grant:Grant").map((g) => {
      const i = g.inputs;
      const on =
        i.objectType === "database"
          ? "database"
          : `${i.objectType as string} in ${i.schema as string}`;
      const privileges = (i.privileges as string[]).join(",") || "(none)";
      return `${i.role as string}: ${privileges} on ${on} of ${i.database as string}`;
    });
    assert.deepEqual(grants.sort(), [
      "public: (none) on database of postgres",
      "public: (none) on database of waste_management",
      "waste_app: CONNECT,TEMPORARY on database of waste_management",
      "waste_app: USAGE,CREATE on schema in public of waste_management",
      "waste_monitoring: CONNECT on database of waste_management",
      "waste_reporting: CONNECT on database of waste_management",
      "waste_reporting: SELECT on table in public of waste_management",
      "waste_reporting: USAGE on schema in public of waste_management",
    ]);
  });

  it("connects the PostgreSQL provider to the loopback admin port as the superuser", () => {
    const { password, ...inputs } = plainInputs(one(resources, "database-provider"));
    assert.equal(password, env(one(resources, "postgres-container")).POSTGRES_PASSWORD);
    assert.deepEqual(inputs, {
      host: "127.0.0.1",
      port: "5432",
      username: "postgres",
      database: "postgres",
      sslmode: "disable",
      superuser: "true",
      expectedVersion: "15",
      connectTimeout: "30",
    });
  });
});

describe("secrets on the mock engine", () => {
  const secretInputs: [string, string][] = [
    ["postgres-container", "envs"],
    ["redis-container", "uploads"],
    ["backend-container", "envs"],
    ["backup-container", "envs"],
    ["nginx-container", "uploads"],
    ["database-provider", "password"],
    ["database-app", "password"],
    ["database-reporting", "password"],
    ["database-monitoring", "password"],
    ["grafana-container", "uploads"],
    ["dashboards-provider", "auth"],
  ];

  for (const [name, key] of secretInputs) {
    it(`marks ${name}.${key} as a secret`, () => {
      assert.ok(isSecretValue(one(resources, name).inputs[key]), `${name}.${key} is plain`);
    });
  }

  it("leaves no password or private key in plain text in any resource input", () => {
    const generated = ofType("random:index/randomPassword:RandomPassword").map((r) =>
      mockPassword(r.name),
    );
    assert.equal(generated.length, 9);
    const redacted = JSON.stringify(resources.map((r) => redactSecrets(r.inputs)));
    for (const secret of [...generated, "PRIVATE KEY"]) {
      assert.ok(!redacted.includes(secret), `${secret} appears outside a secret`);
    }
  });

  it("exports no secret as a stack output", () => {
    const text = JSON.stringify(outputs);
    assert.doesNotMatch(text, /mockpw|PRIVATE KEY/);
    assert.deepEqual(outputs, {
      url: "https://localhost:8443",
      databaseName: "waste_management",
      databaseRoles: {
        app: "waste_app",
        reporting: "waste_reporting",
        monitoring: "waste_monitoring",
      },
      localEndpoints: {
        backend: "http://127.0.0.1:3001",
        frontend: "http://127.0.0.1:3000",
        postgres: { host: "127.0.0.1", port: 5432 },
        nginxStatus: "http://127.0.0.1:8081/nginx_status",
        prometheus: "http://127.0.0.1:9090",
        alertmanager: "http://127.0.0.1:9093",
        grafana: "http://127.0.0.1:3004",
      },
    });
  });
});
