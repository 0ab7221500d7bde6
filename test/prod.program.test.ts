import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { backendArgs } from "../components/app/services";
import { SETTINGS, SettingName } from "../components/config/settings";
import {
  NGINX_CERTIFICATE_FILE,
  NGINX_CONFIG_FILE,
  NGINX_KEY_FILE,
} from "../components/nginx/settings";
import { tempDir } from "./support/processes";
import { evaluatedStack, StackResource } from "./support/stack-inputs";

const ROOT = path.join(__dirname, "..");

// Every character that means something in a URL's userinfo, and 16 characters in all.
const REDIS_PASSWORD = "re:dis@pass/w#rd?%+ 1";

// Shaped like PEM for validation, and unlike anything the render's stand-ins hold.
const CERTIFICATE = "-----BEGIN CERTIFICATE-----\nprod test chain\n-----END CERTIFICATE-----\n";
const PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nprod test key\n-----END PRIVATE KEY-----\n";

/**
 * A value for every secret key, each unlike any other text of the stack. The Grafana Cloud tokens
 * are left out: they replace the Grafana container, and test/grafana.program.test.ts covers them.
 */
const CONFIGURED: Partial<Record<SettingName, string>> = {
  tlsCertificate: CERTIFICATE,
  tlsPrivateKey: PRIVATE_KEY,
  slackWebhookUrl: "https://hooks.slack.example/services/secret-slack-hook",
  pagerdutyRoutingKey: "secret-pagerduty-routing-key-0123",
  deadMansSwitchUrl: "https://hc-ping.example/secret-heartbeat-check",
  grafanaAdminPassword: "secret-grafana-admin-password",
  postgresPassword: "secret-postgres-superuser-password",
  redisPassword: REDIS_PASSWORD,
  backupCipherPass: "secret-backup-cipher-passphrase",
};

/** The inputs as JSON with every secret left out, and the secrets alone. */
function clearAndSecret(value: unknown): { clear: unknown; secrets: unknown[] } {
  const secrets: unknown[] = [];
  const walk = (v: unknown): unknown => {
    if (typeof v === "object" && v !== null && !Array.isArray(v) && "secret" in v) {
      secrets.push(v.secret);
      return "[secret]";
    }
    if (Array.isArray(v)) {
      return v.map(walk);
    }
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return { clear: walk(value), secrets };
}

function envOf(resource: StackResource): Record<string, string> {
  const envs = resource.inputs.envs as { secret: string[] };
  return Object.fromEntries(
    envs.secret.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
  );
}

function resolved(value: pulumi.Input<string>): Promise<string> {
  return new Promise((resolve) => pulumi.output(value).apply(resolve));
}

describe("the prod stack on Pulumi's mock engine, with its secrets configured", () => {
  let dir: string;
  let resources: StackResource[];
  const named = (name: string) => {
    const found = resources.filter((r) => r.name === name);
    assert.equal(found.length, 1, `resources named ${name}`);
    return found[0];
  };

  before(async () => {
    dir = tempDir("prod-program");
    const prod = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
    const lines = Object.entries(CONFIGURED).map(
      ([key, value]) => `  waste-management:${key}: ${JSON.stringify(value)}`,
    );
    fs.writeFileSync(
      path.join(dir, "Pulumi.prod.yaml"),
      `${prod.trimEnd()}\n${lines.join("\n")}\n`,
    );
    resources = await evaluatedStack("prod", dir);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("uploads the configured certificate and key into nginx, kept secret", () => {
    const uploads = named("nginx-container").inputs.uploads as {
      secret: { file: string; content: string; permissions?: string }[];
    };
    assert.ok("secret" in uploads, "nginx's uploads are not a secret");
    const tls = uploads.secret.filter((u) => u.file !== NGINX_CONFIG_FILE);
    assert.deepEqual(tls, [
      { file: NGINX_CERTIFICATE_FILE, content: CERTIFICATE },
      { file: NGINX_KEY_FILE, content: PRIVATE_KEY, permissions: "0600" },
    ]);
    assert.equal(
      resources.filter((r) => r.type.startsWith("tls:")).length,
      0,
      "prod makes no certificate of its own",
    );
  });

  it("holds every configured secret only inside secret inputs", () => {
    const secretKeys = (Object.keys(SETTINGS) as SettingName[]).filter(
      (key) => "secret" in SETTINGS[key] && SETTINGS[key].secret,
    );
    assert.deepEqual(
      secretKeys.filter((key) => !key.startsWith("grafanaCloud")).sort(),
      Object.keys(CONFIGURED).sort(),
    );
    const { clear, secrets } = clearAndSecret(resources.map((r) => r.inputs));
    const clearText = JSON.stringify(clear);
    const secretText = JSON.stringify(secrets);
    for (const [key, value] of Object.entries(CONFIGURED)) {
      const asJson = JSON.stringify(value).slice(1, -1);
      assert.ok(!clearText.includes(asJson), `${key} appears outside a secret`);
      assert.ok(secretText.includes(asJson), `${key} is not used, so this proves nothing`);
    }
  });

  it("gives the backend a REDIS_URL that reads back the configured password", () => {
    const url = new URL(envOf(named("backend-container")).REDIS_URL);
    assert.equal(url.protocol, "redis:");
    assert.equal(decodeURIComponent(url.username), "waste_app");
    assert.equal(decodeURIComponent(url.password), REDIS_PASSWORD);
    assert.equal(url.host, "redis:6379");
    assert.equal(url.pathname, "/0");
  });
});

describe("the backend's connection URLs", () => {
  it("encode user and password, so a password with @ / # : ? reads back whole", async () => {
    const password = "pg:pass@word/with#all?of%them";
    const args = backendArgs({
      image: "backend",
      tag: "1.0.0",
      memoryMb: 512,
      dbPoolMax: 20,
      database: { host: "postgres", port: 5432, name: "waste_management" },
      databaseUser: "waste_app",
      databasePassword: password,
      redis: { host: "redis", port: 6379 },
      redisUser: "waste_app",
      redisPassword: `redis-${password}`,
      edgeNetwork: undefined as never,
      dataNetwork: undefined as never,
    });
    const database = new URL(await resolved(args.env.DATABASE_URL));
    assert.equal(decodeURIComponent(database.password), password);
    assert.equal(database.host, "postgres:5432");
    assert.equal(database.pathname, "/waste_management");
    const redis = new URL(await resolved(args.env.REDIS_URL));
    assert.equal(decodeURIComponent(redis.password), `redis-${password}`);
    assert.equal(redis.host, "redis:6379");
  });
});
