import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { DATABASE_NAME, ROLES } from "../components/postgres/access";
import {
  POSTGRES_CONFIG_FILE,
  renderPostgresConf,
  renderPostgresHba,
} from "../components/postgres/settings";
import { RecordedResource } from "../render/engine";
import { ok, PostgresCluster } from "./support/postgres-cluster";
import { ROLE_TYPE, providerSql } from "./support/postgres-provider-sql";
import { CommandResult, waitFor } from "./support/processes";
import { devProgram, one, plainInputs } from "./support/program";

// These specs start the real PostgreSQL 15 of Debian with the exact text renderPostgresConf and
// renderPostgresHba return; only the port, listen address, socket directory and the file paths are
// given on the command line. The provider's SQL for the dev stack's roles is then applied to it.
const MiB = 1024 ** 2;

let cluster: PostgresCluster;
let resources: RecordedResource[];

function superuser(database: string, sql: string): Promise<CommandResult> {
  return cluster.superuser(database, sql);
}

function psqlWithPassword(
  role: string,
  password: string,
  sql: string,
  database: string = DATABASE_NAME,
): Promise<CommandResult> {
  return cluster.withPassword(role, password, sql, database);
}

/** The password the provider would set for a role, from the mock engine's inputs. */
function passwordOf(role: string): string {
  const found = resources.filter((r) => r.type === ROLE_TYPE && plainInputs(r).name === role);
  assert.equal(found.length, 1, `expected one Role named ${role}`);
  return String(plainInputs(found[0]).password);
}

/** The same as `psqlWithPassword`, with the role's password from the dev stack. */
function psqlAs(role: string, sql: string): Promise<CommandResult> {
  return psqlWithPassword(role, passwordOf(role), sql);
}

describe("PostgreSQL 15 running the rendered postgresql.conf and pg_hba.conf", () => {
  // The dev stack's postgresMemory, postgresSharedBuffers and the defaults of the rest.
  const conf = renderPostgresConf({
    memoryBytes: 1024 * MiB,
    sharedBuffersBytes: 256 * MiB,
    workMemBytes: 8 * MiB,
    maxConnections: 100,
  });

  before(async function () {
    this.timeout(120000);
    ({ resources } = await devProgram());
    cluster = await PostgresCluster.create("postgres-live");
    await cluster.start(conf, renderPostgresHba({ allowedSubnets: ["127.0.0.1/32"] }));

    // What `pulumi up` would run through the provider, database by database.
    for (const group of providerSql(resources)) {
      const sql = group.statements.map((statement) => `${statement};\n`).join("");
      ok(await superuser(group.database, sql), `the provider's SQL in ${group.database}`);
    }

    // The backend's first migration, after the grants: default privileges must cover it.
    const migration = `CREATE TABLE pickups (
      id serial PRIMARY KEY,
      bin text NOT NULL,
      location geometry(Point, 4326) NOT NULL
    )`;
    ok(await psqlAs(ROLES.app, migration), "creating the pickups table as waste_app");
  });

  after(async () => {
    await cluster?.destroy();
  });

  it("runs the same postgresql.conf the dev stack uploads into its container", () => {
    const uploads = plainInputs(one(resources, "postgres-container")).uploads as {
      file: string;
      content: string;
    }[];
    assert.equal(uploads.find((upload) => upload.file === POSTGRES_CONFIG_FILE)?.content, conf);
  });

  it("runs with the rendered memory, connection, statistics and logging settings", async () => {
    const names = [
      "shared_buffers",
      "work_mem",
      "maintenance_work_mem",
      "effective_cache_size",
      "max_connections",
      "shared_preload_libraries",
      "log_connections",
      "log_disconnections",
      "password_encryption",
      "data_checksums",
    ];
    const sql = `SELECT json_object_agg(name, current_setting(name))
      FROM unnest(ARRAY['${names.join("','")}']) AS name`;
    const settings = JSON.parse(ok(await superuser("postgres", sql), "SHOW")) as unknown;
    assert.deepEqual(settings, {
      shared_buffers: "256MB",
      work_mem: "8MB",
      maintenance_work_mem: "64MB",
      effective_cache_size: "768MB",
      max_connections: "100",
      shared_preload_libraries: "pg_stat_statements",
      log_connections: "on",
      log_disconnections: "on",
      password_encryption: "scram-sha-256",
      data_checksums: "on",
    });
  });

  it("has PostGIS and pg_stat_statements in the application database", async () => {
    const extensions = ok(
      await superuser(
        DATABASE_NAME,
        "SELECT extname || ' in ' || extnamespace::regnamespace FROM pg_extension ORDER BY 1",
      ),
      "listing extensions",
    );
    assert.deepEqual(extensions.split("\n"), [
      "pg_stat_statements in public",
      "plpgsql in pg_catalog",
      "postgis in public",
    ]);
    assert.match(
      ok(await psqlAs(ROLES.app, "SELECT postgis_full_version()"), "PostGIS"),
      /POSTGIS="3/,
    );
  });

  it("lets waste_app own its tables in public and insert, update and delete rows", async () => {
    const owner = "SELECT tableowner FROM pg_tables WHERE tablename = 'pickups'";
    assert.equal(ok(await superuser(DATABASE_NAME, owner), "pickups owner"), ROLES.app);
    const writes = `
      INSERT INTO pickups (bin, location) VALUES ('B-1', ST_SetSRID(ST_MakePoint(4.35, 50.85), 4326));
      UPDATE pickups SET bin = 'B-2' WHERE bin = 'B-1';
      DELETE FROM pickups WHERE bin = 'B-2'`;
    ok(await psqlAs(ROLES.app, writes), "writing as waste_app");
  });

  it("limits waste_app's connections to the backend's pool size plus five", async () => {
    const role = resources.find((r) => r.type === ROLE_TYPE && plainInputs(r).name === ROLES.app);
    const limit = Number(plainInputs(role as RecordedResource).connectionLimit);
    const envs = plainInputs(one(resources, "backend-container")).envs as string[];
    const poolMax = Number(envs.find((e) => e.startsWith("DB_POOL_MAX="))?.split("=")[1]);
    assert.equal(limit, poolMax + 5);
    const sql = `SELECT rolconnlimit FROM pg_roles WHERE rolname = '${ROLES.app}'`;
    assert.equal(ok(await superuser("postgres", sql), "rolconnlimit"), String(limit));
  });

  it("lets waste_reporting read tables created after the grants, and write nothing", async () => {
    const insert = `INSERT INTO pickups (bin, location)
      VALUES ('R-1', ST_SetSRID(ST_MakePoint(4.40, 50.80), 4326))`;
    ok(await psqlAs(ROLES.app, insert), "inserting as waste_app");

    const reads = `SELECT count(*) FROM pickups WHERE bin = 'R-1';
      SELECT srtext LIKE 'GEOGCS["WGS 84"%' FROM spatial_ref_sys WHERE srid = 4326;
      SELECT last_value > 0 FROM pickups_id_seq`;
    assert.deepEqual(ok(await psqlAs(ROLES.reporting, reads), "reading").split("\n"), [
      "1",
      "t",
      "t",
    ]);

    for (const write of [
      "INSERT INTO pickups (bin, location) VALUES ('X', 'SRID=4326;POINT(0 0)')",
      "UPDATE pickups SET bin = 'X'",
      "DELETE FROM pickups",
      "CREATE TABLE report_scratch (id int)",
    ]) {
      const result = await psqlAs(ROLES.reporting, write);
      assert.notEqual(result.code, 0, `waste_reporting could run: ${write}`);
      assert.match(result.stderr, /permission denied for (table pickups|schema public)/);
    }
  });

  it("stops waste_reporting's statements after five minutes", async () => {
    assert.equal(ok(await psqlAs(ROLES.reporting, "SHOW statement_timeout"), "SHOW"), "5min");
  });

  it("lets waste_monitoring read every role's statements but not the application's tables", async () => {
    ok(await psqlAs(ROLES.app, "SELECT count(*) AS monitoring_probe FROM pickups"), "probe");
    const member = "SELECT pg_has_role(current_user, 'pg_monitor', 'USAGE')";
    assert.equal(ok(await psqlAs(ROLES.monitoring, member), "pg_monitor membership"), "t");

    const statements = `SELECT s.query FROM pg_stat_statements s
      JOIN pg_roles r ON r.oid = s.userid
      WHERE r.rolname = '${ROLES.app}' AND s.query LIKE '%monitoring_probe%'`;
    assert.equal(
      ok(await psqlAs(ROLES.monitoring, statements), "pg_stat_statements"),
      "SELECT count(*) AS monitoring_probe FROM pickups",
    );

    const read = await psqlAs(ROLES.monitoring, "SELECT count(*) FROM pickups");
    assert.notEqual(read.code, 0, "waste_monitoring could read pickups");
    assert.match(read.stderr, /permission denied for table pickups/);
  });

  it("keeps a login role without grants out of the application database", async () => {
    const password = randomBytes(16).toString("hex");
    const create = `CREATE ROLE waste_stranger LOGIN PASSWORD '${password}'`;
    ok(await superuser("postgres", create), "creating waste_stranger");

    // "permission denied for database" comes after a successful login: the password was right.
    for (const database of [DATABASE_NAME, "postgres"]) {
      const refused = await psqlWithPassword("waste_stranger", password, "SELECT 1", database);
      assert.notEqual(refused.code, 0, `waste_stranger connected to ${database}`);
      assert.match(refused.stderr, new RegExp(`permission denied for database "${database}"`));
    }
  });

  it("keeps the roles' passwords out of pg_stat_statements, which pg_monitor can read", async () => {
    const leaked = `SELECT count(*) FROM pg_stat_statements WHERE query ILIKE '%password%'`;
    assert.equal(ok(await psqlAs(ROLES.monitoring, leaked), "pg_stat_statements"), "0");
    for (const role of Object.values(ROLES)) {
      const secret = passwordOf(role);
      const found = `SELECT count(*) FROM pg_stat_statements WHERE query LIKE '%${secret}%'`;
      assert.equal(ok(await superuser(DATABASE_NAME, found), "searching statements"), "0");
    }
  });

  it("refuses a wrong password and logs the failure and every authorized connection", async () => {
    const refused = await psqlWithPassword(ROLES.app, "not-the-password", "SELECT 1");
    assert.notEqual(refused.code, 0, "a wrong password was accepted");
    assert.match(refused.stderr, /password authentication failed for user "waste_app"/);

    // The runbook audits authentication from these stderr lines.
    await waitFor("the failed login in the server log", () =>
      cluster.log.includes('password authentication failed for user "waste_app"'),
    );
    assert.match(cluster.log, /connection authorized: user=waste_app database=waste_management/);
  });
});

describe("the model of the PostgreSQL provider's SQL", () => {
  it("refuses a resource input it does not model, naming the resource and the input", async () => {
    const { resources: recorded } = await devProgram();
    const app = one(recorded, "database-app");
    const changed = recorded.map((r) =>
      r === app ? { ...r, inputs: { ...r.inputs, superuser: true } } : r,
    );
    assert.throws(
      () => providerSql(changed),
      /database-app: input\(s\) superuser are not modelled/,
    );
  });

  it("refuses a PostgreSQL resource type it does not model", async () => {
    const { resources: recorded } = await devProgram();
    const schema: RecordedResource = {
      urn: "",
      type: "postgresql:index/schema:Schema",
      name: "database-reports",
      custom: true,
      options: { deleteBeforeReplace: false, protect: false, retainOnDelete: false },
      inputs: { name: "reports", database: DATABASE_NAME },
    };
    assert.throws(
      () => providerSql([...recorded, schema]),
      /no SQL is modelled for postgresql:index\/schema:Schema database-reports/,
    );
  });
});
