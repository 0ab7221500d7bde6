import assert from "node:assert/strict";
import { REDIS_ACL_FILE, REDIS_CONFIG_FILE, renderRedisConf } from "../components/redis/settings";
import {
  POSTGRES_CONFIG_FILE,
  POSTGRES_HBA_FILE,
  renderPostgresConf,
  renderPostgresHba,
} from "../components/postgres/settings";
import { renderPgbackrestConf } from "../components/backup/pgbackrest-config";
import { mockImageId, RecordedResource } from "../render/engine";
import { devProgram, env, ofType, one, plainInputs, uploads } from "./support/program";

let resources: RecordedResource[];

before(async () => {
  ({ resources } = await devProgram());
});

const MiB = 1024 ** 2;

describe("the dev stack on Pulumi's mock engine", () => {
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

  it("declares the database, its extensions and three least-privilege roles", () => {
    const roles = ofType(resources, "postgresql:index/role:Role").map((r) => {
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
      ofType(resources, "postgresql:index/extension:Extension").map((e) => e.inputs.name),
      ["postgis", "pg_stat_statements"],
    );
    const grants = ofType(resources, "postgresql:index/grant:Grant").map((g) => {
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
