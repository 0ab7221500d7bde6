import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { SECRETS_REQUIRED_IN_PROD } from "../components/config/load";
import { CLOUDFLARE_RANGES } from "../components/nginx/cloudflare";
import { readmeWithReference, renderProjectFile } from "../render/config-reference";
import { readStackConfig } from "../render/stack-config";
import { CommandResult, run, tempDir } from "./support/processes";

const ROOT = path.join(__dirname, "..");

interface Entry {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  custom: boolean;
  inputs: Record<string, unknown>;
}

function render(args: string[]): Promise<CommandResult> {
  const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
  return run(tsNode, ["-T", path.join(ROOT, "render", "main.ts"), ...args], { timeoutMs: 60000 });
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

function upload(entries: Entry[], container: string, file: string): string {
  const inputs = entries.find((e) => e.name === container)?.inputs;
  const list = inputs?.uploads as { file: string; content: string }[];
  const found = list.find((u) => u.file === file);
  assert.ok(found, `${container} uploads no ${file}`);
  return found.content;
}

for (const stack of ["dev", "prod"]) {
  describe(`npm run render -- ${stack}`, () => {
    let out: string;
    let result: CommandResult;
    let entries: Entry[];

    before(async () => {
      out = tempDir(`render-${stack}`);
      result = await render([stack, "--out", out]);
      assert.equal(result.code, 0, result.stderr);
      entries = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as Entry[];
    });

    after(() => fs.rmSync(out, { recursive: true, force: true }));

    it("writes resources.json and every rendered configuration file", () => {
      assert.deepEqual(filesUnder(out), [
        "backup/pgbackrest.conf",
        "backup/schedule",
        "dashboards/database-performance.json",
        "dashboards/production-overview.json",
        "dashboards/services.json",
        "monitoring/alertmanager.yml",
        "monitoring/blackbox.yml",
        "monitoring/nginx.mtail",
        "monitoring/postgres-exporter-queries.yaml",
        "monitoring/prometheus.yml",
        ...[
          "api",
          "availability",
          "backups",
          "business",
          "database",
          "meta",
          "payments",
          "security",
          "system",
          "tls",
        ].map((area) => `monitoring/rules/${area}.yml`),
        "nginx/nginx.conf",
        "postgres/pg_hba.conf",
        "postgres/postgresql.conf",
        "redis/redis.conf",
        "resources.json",
      ]);
    });

    it("writes one entry per resource with urn, type, name, parent, custom and inputs", () => {
      const urns = new Set(entries.map((e) => e.urn));
      assert.equal(urns.size, entries.length);
      for (const entry of entries) {
        assert.deepEqual(Object.keys(entry), ["urn", "type", "name", "parent", "custom", "inputs"]);
        assert.ok(
          entry.parent === null || urns.has(entry.parent),
          `${entry.name}: dangling parent`,
        );
      }
      assert.equal(entries.filter((e) => e.parent === null).length, 1);
    });

    it("writes the same bytes it uploads into the Postgres container", () => {
      for (const file of ["postgresql.conf", "pg_hba.conf"]) {
        assert.equal(
          fs.readFileSync(path.join(out, "postgres", file), "utf8"),
          upload(entries, "postgres-container", `/etc/postgresql/${file}`),
        );
      }
    });

    it("replaces every secret with [secret] and leaks no password or key", () => {
      const everything = filesUnder(out)
        .map((f) => fs.readFileSync(path.join(out, f), "utf8"))
        .join("\n");
      assert.doesNotMatch(everything, /mockpw|PRIVATE KEY|stand-in/);
      const backend = entries.find((e) => e.name === "backend-container");
      assert.equal(backend?.inputs.envs, "[secret]");
    });

    it("prints the resources of each component", () => {
      assert.match(result.stdout, new RegExp(`Rendered stack '${stack}'`));
      assert.match(result.stdout, /waste:database:DatabaseAccess database\s+20\n/);
      assert.match(result.stdout, /waste:network:StackNetworks net\s+4\n/);
    });
  });
}

describe("npm run render -- prod, in particular", () => {
  let out: string;
  let result: CommandResult;

  before(async () => {
    out = tempDir("render-prod-detail");
    result = await render(["prod", "--out", out]);
  });

  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it("trusts CF-Connecting-IP only from Cloudflare's ranges", () => {
    const conf = fs.readFileSync(path.join(out, "nginx", "nginx.conf"), "utf8");
    const trusted = [...conf.matchAll(/set_real_ip_from (\S+);/g)].map((m) => m[1]);
    assert.deepEqual(trusted, [...CLOUDFLARE_RANGES]);
    assert.match(conf, /real_ip_header CF-Connecting-IP;/);
  });

  it("links every alert to its runbook section by an absolute https:// URL", () => {
    const rulesDir = path.join(out, "monitoring", "rules");
    const links = fs
      .readdirSync(rulesDir)
      .flatMap((file) => [
        ...fs.readFileSync(path.join(rulesDir, file), "utf8").matchAll(/runbook_url: (\S+)/g),
      ])
      .map((m) => m[1]);
    assert.ok(links.length > 0);
    for (const link of links) {
      assert.match(
        link,
        /^https:\/\/git\.wastemanagement\.example\/platform\/waste-management-infra\/-\/blob\/main\/docs\/runbook\.md#[a-z0-9]+$/,
      );
    }
  });

  it("says which secrets it stood in for, since it cannot decrypt them", () => {
    assert.match(result.stdout, /Stand-in used for waste-management:tlsCertificate/);
    assert.match(result.stdout, /Stand-in used for waste-management:tlsPrivateKey/);
  });

  it("uploads the configured certificate and key into nginx as secrets, never in clear", () => {
    const entries = JSON.parse(
      fs.readFileSync(path.join(out, "resources.json"), "utf8"),
    ) as Entry[];
    assert.equal(entries.find((e) => e.name === "nginx-container")?.inputs.uploads, "[secret]");
  });

  it("protects the data volumes in prod", () => {
    const entries = JSON.parse(
      fs.readFileSync(path.join(out, "resources.json"), "utf8"),
    ) as Entry[];
    // The backup repository is the S3 bucket in prod: no repository volume; the DR test's
    // scratch volume is there as in dev.
    assert.equal(entries.filter((e) => e.type === "docker:index/volume:Volume").length, 8);
    assert.equal(
      entries.filter((e) => e.type === "tls:index/selfSignedCert:SelfSignedCert").length,
      0,
    );
  });
});

describe("npm run render with bad configuration", () => {
  let dir: string;

  before(() => {
    dir = tempDir("render-broken");
    fs.writeFileSync(
      path.join(dir, "Pulumi.broken.yaml"),
      [
        "config:",
        "  waste-management:backendTag: latest",
        "  waste-management:redisMemory: '512'",
        "  waste-management:backendDbPoolMax: -3",
        "  waste-management:denyList: ['203.0.113.7', '10.0.0.300']",
        "  waste-management:httpsport: 8443",
        "  waste-management:backendDbPolMax: 30",
        "  waste-management:colour: green",
        "  aws:region: eu-west-1",
        "",
      ].join("\n"),
    );
  });

  it("names every undeclared key of the project, with the declared key it resembles", () => {
    assert.deepEqual(readStackConfig("broken", dir).problems, [
      {
        key: "httpsport",
        message:
          "is not declared in Pulumi.yaml, and the Pulumi CLI refuses it; did you mean httpsPort?",
      },
      {
        key: "backendDbPolMax",
        message:
          "is not declared in Pulumi.yaml, and the Pulumi CLI refuses it; did you mean backendDbPoolMax?",
      },
      { key: "colour", message: "is not declared in Pulumi.yaml, and the Pulumi CLI refuses it" },
    ]);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("fails with every problem named by key and no stack trace", async () => {
    const result = await render(["broken", "--stack-dir", dir, "--out", path.join(dir, "out")]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      [
        "render failed:",
        "The stack configuration has 7 problems; nothing was created:",
        "  - waste-management:httpsport: is not declared in Pulumi.yaml, and the Pulumi CLI refuses it; did you mean httpsPort?",
        "  - waste-management:backendDbPolMax: is not declared in Pulumi.yaml, and the Pulumi CLI refuses it; did you mean backendDbPoolMax?",
        "  - waste-management:colour: is not declared in Pulumi.yaml, and the Pulumi CLI refuses it",
        '  - waste-management:denyList[1]: must be an IP address or CIDR block, such as 203.0.113.7 or 198.51.100.0/24 (got "10.0.0.300")',
        '  - waste-management:redisMemory: must be a size with a unit, such as 256m or 2g (k, m or g) (got "512")',
        "  - waste-management:backendTag: must pin a version or a sha256 digest; 'latest' changes without a deploy (got \"latest\")",
        "  - waste-management:backendDbPoolMax: must be at least 1 (got -3)",
        "Fix each with `pulumi config set <key> <value>` (add --secret for secrets) and run again.",
        "",
      ].join("\n"),
    );
    assert.ok(!fs.existsSync(path.join(dir, "out")), "nothing is written for a bad stack");
  });

  it("names the known stacks when asked for one that does not exist", async () => {
    const result = await render(["staging"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /No stack file .*Pulumi\.staging\.yaml; known stacks: dev, prod/);
  });
});

describe("the configuration reference", () => {
  it("Pulumi.yaml declares every key with the type, description and default the code uses", () => {
    const current = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
    assert.equal(current, renderProjectFile(), "run `npm run config:sync`");
  });

  it("the README's prod quickstart sets every secret prod requires", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    for (const key of SECRETS_REQUIRED_IN_PROD) {
      assert.match(readme, new RegExp(`^pulumi config set --secret ${key} `, "m"), key);
    }
    // A fresh local backend has no stack yet: selecting one must be allowed to create it.
    for (const select of readme.matchAll(/^pulumi stack select .*$/gm)) {
      assert.match(select[0], /--create/);
    }
  });

  it("the README's configuration table matches the code", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    assert.equal(readme, readmeWithReference(readme), "run `npm run config:sync`");
  });
});
