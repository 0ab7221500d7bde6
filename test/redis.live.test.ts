import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  REDIS_APP_USER,
  REDIS_MONITORING_USER,
  REDIS_CONFIG_FILE,
  renderRedisAcl,
  renderRedisConf,
} from "../components/redis/settings";
import { freePort, ServerProcess, tempDir, waitFor } from "./support/processes";
import { Login, redisCli, reply, startRedis, writeRedisFiles } from "./support/redis-server";
import { devProgram, one, plainInputs } from "./support/program";

// These specs start the real Debian redis-server with the text renderRedisConf and renderRedisAcl
// return; only the port, bind address, data directory and ACL path are adapted to this machine.
const MAX_MEMORY_BYTES = 256 * 1024 ** 2;
const EVICTION_POLICY = "allkeys-lru";

/** One `field:value` line of an INFO section. */
function infoField(info: string, field: string): string | undefined {
  const line = info.split(/\r?\n/).find((entry) => entry.startsWith(`${field}:`));
  return line?.slice(field.length + 1);
}

describe("Redis running the rendered redis.conf and users.acl", () => {
  const conf = renderRedisConf({
    maxMemoryBytes: MAX_MEMORY_BYTES,
    evictionPolicy: EVICTION_POLICY,
  });
  const appPassword = randomBytes(24).toString("base64url").slice(0, 32);
  const app: Login = { user: REDIS_APP_USER, password: appPassword };
  const monitoringPassword = randomBytes(24).toString("base64url").slice(0, 32);
  const monitoring: Login = { user: REDIS_MONITORING_USER, password: monitoringPassword };
  let dir: string;
  let port: number;
  let server: ServerProcess | undefined;

  before(async () => {
    dir = tempDir("redis-live");
    writeRedisFiles(dir, conf, renderRedisAcl({ appPassword, monitoringPassword }));
    port = await freePort();
    server = await startRedis(dir, port);
  });

  after(async () => {
    await server?.stop("SIGTERM");
    if (dir) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs the same redis.conf the dev stack uploads into its container", async () => {
    const { resources } = await devProgram();
    const uploads = plainInputs(one(resources, "redis-container")).uploads as {
      file: string;
      content: string;
    }[];
    assert.equal(uploads.find((upload) => upload.file === REDIS_CONFIG_FILE)?.content, conf);
  });

  it("answers PING without a login, as the container's health check sends it", async () => {
    assert.equal(await reply(port, undefined, ["ping"]), "PONG");
  });

  it("refuses reads and writes without a login", async () => {
    assert.match(await reply(port, undefined, ["get", "pickup:1"]), /^NOPERM .*'get'/);
    assert.match(await reply(port, undefined, ["set", "pickup:1", "x"]), /^NOPERM .*'set'/);
  });

  it("refuses the app user with a wrong password", async () => {
    const wrong = await redisCli(port, { user: REDIS_APP_USER, password: "wrong" }, ["get", "k"]);
    assert.match(wrong.stderr, /WRONGPASS invalid username-password pair/);
    // redis-cli goes on as the default user, which may not read either.
    assert.match(wrong.stdout, /^NOPERM .*'get'/);
  });

  it("lets the app user write and read keys and run INFO", async () => {
    assert.equal(await reply(port, app, ["set", "route:42", "collected"]), "OK");
    assert.equal(await reply(port, app, ["get", "route:42"]), "collected");
    assert.match(await reply(port, app, ["info", "server"]), /^redis_version:7\./m);
  });

  it("lets the exporter's user read server facts and the slow log, and no data", async () => {
    assert.match(await reply(port, monitoring, ["info", "memory"]), /^maxmemory:/m);
    assert.match(await reply(port, monitoring, ["config", "get", "maxmemory"]), /^maxmemory$/m);
    assert.doesNotMatch(await reply(port, monitoring, ["slowlog", "get", "10"]), /NOPERM/);
    assert.doesNotMatch(await reply(port, monitoring, ["latency", "latest"]), /NOPERM/);
    assert.match(await reply(port, monitoring, ["get", "route:42"]), /^NOPERM .*'get'/);
    assert.match(await reply(port, monitoring, ["set", "k", "v"]), /^NOPERM .*'set'/);
    assert.match(await reply(port, monitoring, ["flushall"]), /^NOPERM .*'flushall'/);
  });

  it("refuses FLUSHALL, CONFIG GET and KEYS to the app user", async () => {
    assert.match(await reply(port, app, ["flushall"]), /^NOPERM .*'flushall'/);
    assert.match(await reply(port, app, ["config", "get", "maxmemory"]), /^NOPERM .*'config\|get'/);
    assert.match(await reply(port, app, ["keys", "*"]), /^NOPERM .*'keys'/);
  });

  it("refuses DEBUG to the app user, which the ACL's -@dangerous also covers", async () => {
    // Redis 7 turns DEBUG off by default and says so before it consults the ACL.
    assert.match(
      await reply(port, app, ["debug", "object", "route:42"]),
      /DEBUG command not allowed/,
    );
    const dangerous = (await reply(port, app, ["acl", "cat", "dangerous"])).split("\n");
    assert.ok(dangerous.includes("debug"), `debug is not in @dangerous: ${dangerous.join(" ")}`);
  });

  it("caps memory at the rendered maxmemory with allkeys-lru and keeps an append-only file", async () => {
    const memory = await reply(port, app, ["info", "memory"]);
    assert.equal(infoField(memory, "maxmemory"), String(MAX_MEMORY_BYTES));
    assert.equal(infoField(memory, "maxmemory_policy"), EVICTION_POLICY);
    const persistence = await reply(port, app, ["info", "persistence"]);
    assert.equal(infoField(persistence, "aof_enabled"), "1");
  });

  it("keeps a written key across a restart from the append-only file alone", async () => {
    const key = `pickup:${randomBytes(6).toString("hex")}`;
    assert.equal(await reply(port, app, ["set", key, "bin-17"]), "OK");

    // The write reaches the incremental AOF within the everysec fsync window.
    const aofDir = path.join(dir, "appendonlydir");
    const containsKey = () =>
      fs
        .readdirSync(aofDir)
        .filter((file) => file.endsWith(".aof"))
        .some((file) => fs.readFileSync(path.join(aofDir, file), "latin1").includes(key));
    await waitFor(`${key} in ${aofDir}`, containsKey, 5000);

    await server?.stop("SIGTERM");
    // Without the RDB snapshot written at shutdown, only the AOF can bring the key back.
    fs.rmSync(path.join(dir, "dump.rdb"), { force: true });
    port = await freePort();
    server = await startRedis(dir, port);

    assert.equal(await reply(port, app, ["get", key]), "bin-17");
    assert.match(server.log, /DB loaded from append only file/);
  });
});
