import assert from "node:assert/strict";
import { isSecretValue, mockPassword, RecordedResource, redactSecrets } from "../render/engine";
import { devProgram, ofType, one } from "./support/program";

let resources: RecordedResource[];
let outputs: Record<string, unknown> | undefined;

before(async () => {
  ({ resources, outputs } = await devProgram());
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
    const generated = ofType(resources, "random:index/randomPassword:RandomPassword").map((r) =>
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
