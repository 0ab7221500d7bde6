import assert from "node:assert/strict";
import { renderNginxConf } from "../components/nginx/settings";
import { RecordedResource } from "../render/engine";
import { devProgram, env, one, plainInputs, uploads } from "./support/program";

let resources: RecordedResource[];

before(async () => {
  ({ resources } = await devProgram());
});

describe("the dev stack on Pulumi's mock engine", () => {
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
});
