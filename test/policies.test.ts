import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { cronHours } from "../policies/backups";
import { ContainerProps } from "../policies/containers-view";
import { evaluatePolicies, PlainResource } from "../policies/evaluate";
import { RUNBOOK_POLICIES } from "../policies/runbook-policies";
import { run } from "./support/processes";
import { devProgram, plainInputs } from "./support/program";

const ROOT = path.join(__dirname, "..");

async function devResources(): Promise<PlainResource[]> {
  const { resources } = await devProgram();
  return resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, props: plainInputs(r) }));
}

/** The dev stack with one container changed, and the violations of one policy on it. */
async function violationsAfter(
  policy: string,
  container: string,
  change: (props: ContainerProps) => void,
): Promise<string[]> {
  const resources = structuredClone(await devResources());
  const found = resources.find((r) => (r.props as ContainerProps).name === container);
  assert.ok(found, `no container named ${container}`);
  change(found.props);
  const violations = await evaluatePolicies(resources, RUNBOOK_POLICIES);
  return violations.filter((v) => v.policy === policy).map((v) => v.message);
}

/** Rewrites the content of one uploaded file in place. */
function editUpload(props: ContainerProps, file: string, edit: (text: string) => string): void {
  const upload = props.uploads?.find((u) => u.file === file);
  assert.ok(upload?.content !== undefined, `no upload ${file}`);
  const edited = edit(upload.content);
  assert.notEqual(edited, upload.content, `the edit of ${file} changed nothing`);
  upload.content = edited;
}

describe("the runbook's policy pack", () => {
  it("finds no violation in the dev stack", async () => {
    assert.deepEqual(await evaluatePolicies(await devResources(), RUNBOOK_POLICIES), []);
  });

  it("finds no violation in the prod stack, through npm run policy", async () => {
    const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
    const result = await run(tsNode, ["-T", path.join(ROOT, "policies", "check.ts"), "prod"], {
      timeoutMs: 60000,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /9 policies over \d+ resources, 0 violations \(0 blocking\)/);
  });

  it("declares a policy pack the Pulumi CLI can load", () => {
    const manifest: unknown = parse(
      fs.readFileSync(path.join(ROOT, "policies", "PulumiPolicy.yaml"), "utf8"),
    );
    assert.equal((manifest as { runtime: string }).runtime, "nodejs");
    const pkg: unknown = JSON.parse(
      fs.readFileSync(path.join(ROOT, "policies", "package.json"), "utf8"),
    );
    assert.match((pkg as { version: string }).version, /^\d+\.\d+\.\d+$/);
    const names = RUNBOOK_POLICIES.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const policy of RUNBOOK_POLICIES) {
      assert.match(policy.name, /^[a-z]+(-[a-z]+)*$/);
      assert.equal(policy.enforcementLevel, "mandatory", policy.name);
    }
  });

  describe("images-pinned", () => {
    it("refuses an image tagged latest", async () => {
      const messages = await violationsAfter("images-pinned", "backend", (p) => {
        p.image = "ghcr.io/waste-management/backend:latest";
      });
      assert.deepEqual(messages, [
        'Container backend: image "ghcr.io/waste-management/backend:latest" uses the tag latest, ' +
          "which changes without a deploy; pin a version tag or a digest.",
      ]);
    });

    it("refuses an image with no tag, even behind a registry port", async () => {
      const messages = await violationsAfter("images-pinned", "frontend", (p) => {
        p.image = "registry.internal:5000/frontend";
      });
      assert.deepEqual(messages, [
        'Container frontend: image "registry.internal:5000/frontend" names no tag, so Docker runs ' +
          "whatever latest is on the day; pin a version tag or a digest.",
      ]);
    });

    it("accepts an image pinned by digest alone", async () => {
      const digest = `redis@sha256:${"a".repeat(64)}`;
      assert.deepEqual(
        await violationsAfter("images-pinned", "redis", (p) => (p.image = digest)),
        [],
      );
    });
  });

  describe("containers-hardened", () => {
    it("refuses a privileged container without a memory limit that never restarts", async () => {
      const messages = await violationsAfter("containers-hardened", "grafana", (p) => {
        p.privileged = true;
        delete p.memory;
        p.restart = "no";
      });
      assert.deepEqual(messages, [
        "Container grafana runs privileged; drop privileged and grant capabilities.",
        "Container grafana has no memory limit; set memory in megabytes.",
        'Container grafana has restart policy "no"; use one of always, unless-stopped, on-failure.',
      ]);
    });
  });

  describe("public-ports-only-at-the-edge", () => {
    it("refuses Grafana published on every interface", async () => {
      const messages = await violationsAfter("public-ports-only-at-the-edge", "grafana", (p) => {
        delete p.ports?.[0].ip;
      });
      assert.deepEqual(messages, [
        'Container grafana publishes port 3000 on every interface; publish it on ip "127.0.0.1", ' +
          "or not at all.",
      ]);
    });
  });

  describe("no-exposed-databases", () => {
    it("refuses Postgres published on a public address", async () => {
      const messages = await violationsAfter("no-exposed-databases", "postgres", (p) => {
        (p.ports ?? [])[0].ip = "0.0.0.0";
      });
      assert.deepEqual(messages, [
        'Data store postgres publishes port 5432 on 0.0.0.0; publish it on ip "127.0.0.1" only.',
      ]);
    });

    it("refuses a pg_hba.conf that trusts the network or opens to every address", async () => {
      const messages = await violationsAfter("no-exposed-databases", "postgres", (p) => {
        editUpload(p, "/etc/postgresql/pg_hba.conf", (hba) =>
          hba
            .replace("172.28.1.0/24   scram-sha-256", "172.28.1.0/24   trust")
            .replace("all             reject", "0.0.0.0/0       scram-sha-256"),
        );
      });
      assert.deepEqual(messages, [
        'Container postgres: /etc/postgresql/pg_hba.conf has "host all all 172.28.1.0/24 trust"; ' +
          "network clients must use scram-sha-256 from the stack's own subnets.",
        'Container postgres: /etc/postgresql/pg_hba.conf has "host all all 0.0.0.0/0 ' +
          "scram-sha-256\"; network clients must use scram-sha-256 from the stack's own subnets.",
      ]);
    });

    it("refuses a Redis whose default user may read keys without a password", async () => {
      const messages = await violationsAfter("no-exposed-databases", "redis", (p) => {
        editUpload(p, "/usr/local/etc/redis/users.acl", (acl) =>
          acl.replace(/^user default .*$/m, "user default on nopass ~* +@read +ping"),
        );
      });
      assert.deepEqual(messages, [
        "Container redis: /usr/local/etc/redis/redis.conf lets the default user of " +
          "/usr/local/etc/redis/users.acl have ~* +@read without a password; give the default " +
          "user no more than PING, or turn it off.",
      ]);
    });

    it("refuses Redis run on its image's defaults", async () => {
      const messages = await violationsAfter("no-exposed-databases", "redis", (p) => {
        p.uploads = [];
      });
      assert.deepEqual(messages, [
        "Container redis: runs Redis without a redis.conf from the stack, so no client needs a " +
          "password.",
      ]);
    });
  });

  describe("health-checks-as-runbook", () => {
    it("refuses a backend check that waits longer than the runbook's 5 s", async () => {
      const messages = await violationsAfter("health-checks-as-runbook", "backend", (p) => {
        p.healthcheck = { ...p.healthcheck, timeout: "30s" };
      });
      assert.deepEqual(messages, [
        "Container backend's health check times out after 30s; the runbook gives it 5s.",
      ]);
    });

    it("refuses a frontend check that no longer asks /api/health", async () => {
      const messages = await violationsAfter("health-checks-as-runbook", "frontend", (p) => {
        p.healthcheck = { ...p.healthcheck, tests: ["CMD", "true"] };
      });
      assert.deepEqual(messages, [
        "Container frontend does not check /api/health; its health check must run it.",
      ]);
    });

    it("refuses a stack without the runbook's Redis", async () => {
      const messages = await violationsAfter("health-checks-as-runbook", "redis", (p) => {
        p.name = "cache";
      });
      assert.deepEqual(messages, ["The runbook's redis service has no container in this stack."]);
    });

    it("refuses a container that publishes a port without a health check", async () => {
      const messages = await violationsAfter("health-checks-as-runbook", "grafana", (p) => {
        delete p.healthcheck;
      });
      assert.deepEqual(messages, [
        "Container grafana publishes a port but has no health check; add one.",
      ]);
    });
  });

  describe("tls-enforced", () => {
    it("refuses TLS 1.1, a missing HSTS header and plain HTTP without a redirect", async () => {
      const messages = await violationsAfter("tls-enforced", "nginx", (p) => {
        editUpload(p, "/etc/nginx/nginx.conf", (conf) =>
          conf
            .replace("ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1.1 TLSv1.2 TLSv1.3;")
            .replace(/^\s*add_header Strict-Transport-Security .*$/m, "")
            .replace(/return 301 https:\/\/[^;]*;/, "proxy_pass http://frontend;"),
        );
      });
      assert.deepEqual(messages, [
        "Container nginx: /etc/nginx/nginx.conf offers TLSv1.1 TLSv1.2 TLSv1.3 on listen 443 ssl " +
          "http2 default_server; allow only TLSv1.2 TLSv1.3.",
        "Container nginx: /etc/nginx/nginx.conf sends no HSTS header of at least 31536000 s on " +
          "listen 443 ssl http2 default_server.",
        "Container nginx: /etc/nginx/nginx.conf answers plain HTTP on listen 80 default_server " +
          "without redirecting to HTTPS.",
      ]);
    });

    it("refuses an nginx that runs its image's own configuration", async () => {
      const messages = await violationsAfter("tls-enforced", "nginx", (p) => {
        p.uploads = p.uploads?.filter((u) => u.file !== "/etc/nginx/nginx.conf");
      });
      assert.deepEqual(messages, [
        "Container nginx runs nginx without /etc/nginx/nginx.conf from the stack: it serves no TLS.",
      ]);
    });
  });

  describe("certificate-expiry-checked", () => {
    it("refuses a Prometheus that pages only 3 days before expiry", async () => {
      const messages = await violationsAfter("certificate-expiry-checked", "prometheus", (p) => {
        editUpload(p, "/etc/prometheus/rules/tls.yml", (rules) =>
          rules.replaceAll("/ 86400 < 7", "/ 86400 < 3"),
        );
      });
      assert.deepEqual(messages, [
        "Container prometheus has no critical alert on a certificate expiring within 7 days.",
      ]);
    });

    it("refuses a Prometheus that probes no HTTPS endpoint", async () => {
      const messages = await violationsAfter("certificate-expiry-checked", "prometheus", (p) => {
        editUpload(p, "/etc/prometheus/prometheus.yml", (conf) =>
          conf.replaceAll("https://", "http://"),
        );
      });
      assert.deepEqual(messages, [
        "Container prometheus probes no https:// endpoint through the blackbox exporter.",
      ]);
    });
  });

  describe("backups-scheduled", () => {
    it("refuses archiving that is off or waits five minutes", async () => {
      const messages = await violationsAfter("backups-scheduled", "postgres", (p) => {
        editUpload(p, "/etc/postgresql/postgresql.conf", (conf) =>
          conf
            .replace("archive_mode = 'on'", "archive_mode = 'off'")
            .replace("archive_timeout = '60s'", "archive_timeout = '5min'"),
        );
      });
      assert.deepEqual(messages, [
        "Postgres loses more than a minute of commits with its host: archive_mode is not on.",
        "Postgres loses more than a minute of commits with its host: archive_timeout is not " +
          "between 1 and 60 s.",
      ]);
    });

    it("refuses a schedule whose incrementals skip the afternoon and that has no Redis snapshot", async () => {
      const messages = await violationsAfter("backups-scheduled", "backup", (p) => {
        editUpload(p, "/etc/waste-backup/schedule", (schedule) =>
          schedule
            .replace(/^(\S+) (\S+)( .*backup-db incr)$/m, "$1 0,1,3-12$3")
            .replace(/^.*backup-redis$/m, ""),
        );
      });
      assert.deepEqual(messages, [
        "The backup scheduler takes no incremental backup every hour (none at 13, 14, 15, 16, 17, " +
          "18, 19, 20, 21, 22, 23 h).",
        "The backup scheduler schedules no Redis snapshot (backup-redis).",
      ]);
    });

    it("reads cron hour fields with lists, ranges and steps", () => {
      assert.deepEqual([...cronHours("0,1,3-23")].length, 23);
      assert.deepEqual([...cronHours("*/6")], [0, 6, 12, 18]);
      assert.deepEqual([...cronHours("2-10/4")], [2, 6, 10]);
      assert.deepEqual([...cronHours("20/2")], [20, 22]);
      assert.deepEqual([...cronHours("x")], []);
    });
  });

  describe("receiver-credentials-in-files", () => {
    it("refuses a Slack webhook written into alertmanager.yml", async () => {
      const messages = await violationsAfter(
        "receiver-credentials-in-files",
        "alertmanager",
        (p) => {
          editUpload(p, "/etc/alertmanager/alertmanager.yml", (conf) =>
            conf.replace(/^global:\n/m, "global:\n  slack_api_url: https://hooks.slack.com/x\n"),
          );
        },
      );
      assert.deepEqual(messages, [
        "Container alertmanager: /etc/alertmanager/alertmanager.yml holds global.slack_api_url " +
          "inline; use its _file setting with the secret uploaded as a file.",
      ]);
    });
  });
});
