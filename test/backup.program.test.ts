import assert from "node:assert/strict";
import * as fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { validateSettings } from "../components/config/load";
import { SettingName } from "../components/config/settings";
import { cronOf, firstCollision } from "../components/backup/schedule";
import { mockImageId } from "../render/engine";
import { BACKUP_BIN } from "./support/backup-env";
import { run } from "./support/processes";
import { devProgram, one, plainInputs } from "./support/program";
import { readRendered, renderedStack } from "./support/rendered";

function problems(raw: Partial<Record<SettingName, string>>): string[] {
  return validateSettings((key) => raw[key]).problems.map((p) => `${p.key}: ${p.message}`);
}

describe("backup schedules in config", () => {
  it("names the key and the fix for a schedule that is not 5-field cron", () => {
    assert.deepEqual(problems({ backupFullSchedule: "0 2 * *" }), [
      "backupFullSchedule: must be a cron schedule of 5 fields (minute hour day month weekday), such as '0 2 * * *' for 02:00 UTC daily (got \"0 2 * *\")",
    ]);
    assert.deepEqual(problems({ redisSnapshotSchedule: "0 25 * * *" }), [
      "redisSnapshotSchedule: is not a valid cron schedule (Invalid value for hour: 25), such as '0 2 * * *' for 02:00 UTC daily (got \"0 25 * * *\")",
    ]);
    assert.deepEqual(problems({ systemBackupSchedule: "0 3 * * SUN" }), [
      'systemBackupSchedule: must use numbers, *, ranges, steps and lists only (field "SUN"), such as \'0 2 * * *\' for 02:00 UTC daily (got "0 3 * * SUN")',
    ]);
  });

  it("names the key and the fix for a manifest table that is not schema.table in lower case", () => {
    const tables = JSON.stringify(["public.pickups", "Public.Routes", "routes", "a.b.c"]);
    const fix = "must be a table named with its schema, in lower case, such as public.pickups";
    assert.deepEqual(problems({ backupManifestTables: tables }), [
      `backupManifestTables[1]: ${fix} (got "Public.Routes")`,
      `backupManifestTables[2]: ${fix} (got "routes")`,
      `backupManifestTables[3]: ${fix} (got "a.b.c")`,
    ]);
    assert.deepEqual(problems({ backupManifestTables: JSON.stringify(["public.pickups"]) }), []);
  });

  it("refuses an expiry of replaced versions that does not come after their move to Glacier", () => {
    assert.deepEqual(problems({ backupGlacierAfterDays: "30", backupNoncurrentExpiryDays: "30" }), [
      "backupNoncurrentExpiryDays: must be more than backupGlacierAfterDays (30): replaced versions move to Glacier after that many days, and S3 refuses an expiry that does not come after the move",
    ]);
    assert.deepEqual(problems({ backupGlacierAfterDays: "60", backupRetentionDays: "90" }), []);
  });

  it("refuses an hourly incremental that would collide with the nightly full", () => {
    assert.deepEqual(problems({ backupIncrementalSchedule: "0 * * * *" }), [
      'backupIncrementalSchedule: fires at 2024-01-01 02:00 UTC, within backupFullWindowMinutes (60) of a full backup (backupFullSchedule "0 2 * * *"); leave those hours out, such as "0 0,1,3-23 * * *" beside a full at 02:00',
    ]);
  });

  it("never fires an accepted incremental while a full may still run", () => {
    const hours = fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 24 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 23 }),
        hours,
        fc.integer({ min: 1, max: 180 }),
        (fullHour, incrHours, window) => {
          const full = `0 ${fullHour} * * *`;
          const incremental = `0 ${[...incrHours].sort((a, b) => a - b).join(",")} * * *`;
          const accepted =
            problems({
              backupFullSchedule: full,
              backupIncrementalSchedule: incremental,
              backupFullWindowMinutes: String(window),
            }).length === 0;
          assert.equal(accepted, firstCollision(full, incremental, window) === undefined);
          if (accepted) {
            // Every full of a week, and the incrementals within its window.
            const fulls = cronOf(full).nextRuns(7, new Date(Date.UTC(2024, 0, 1)));
            for (const start of fulls) {
              const next = cronOf(incremental).nextRun(new Date(start.getTime() - 60000));
              assert.ok(next === null || next.getTime() >= start.getTime() + window * 60000);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("the image's cron-match, against croner", () => {
  const field = (lo: number, hi: number) =>
    fc.oneof(
      fc.constant("*"),
      fc.integer({ min: lo, max: hi }).map(String),
      fc
        .tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }))
        .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      fc.integer({ min: 1, max: hi - lo }).map((step) => `*/${step}`),
      fc
        .tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }))
        .map(([a, b]) => `${a},${b}`),
    );
  const schedule = fc
    .tuple(field(0, 59), field(0, 23), field(1, 31), field(1, 12), field(0, 7))
    .map((parts) => parts.join(" "));
  const minute = fc.date({
    min: new Date(Date.UTC(2024, 0, 1)),
    max: new Date(Date.UTC(2027, 11, 31)),
    noInvalidDate: true,
  });

  it("fires exactly at the minutes croner's reading of the schedule fires", async () => {
    const cases = fc.sample(fc.tuple(schedule, minute), 120);
    for (const [text, date] of cases) {
      date.setUTCSeconds(0, 0);
      const fields = [
        date.getUTCMinutes(),
        date.getUTCHours(),
        date.getUTCDate(),
        date.getUTCMonth() + 1,
        date.getUTCDay(),
      ].map(String);
      const result = await run(path.join(BACKUP_BIN, "cron-match"), [text, ...fields]);
      assert.equal(result.code === 0, cronOf(text).match(date), `${text} at ${date.toISOString()}`);
    }
  });
});

describe("the backup container on Pulumi's mock engine", () => {
  it("runs the scheduler as postgres with the rendered schedule and every mount it needs", async () => {
    const { resources } = await devProgram();
    const inputs = plainInputs(one(resources, "backup-container"));
    assert.equal(inputs.name, "backup");
    assert.equal(inputs.user, "postgres");
    // Group root reads Grafana's grafana.db (uid 472, gid 0, mode 0640) for the system backup.
    assert.deepEqual(inputs.groupAdds, ["0"]);
    assert.deepEqual(inputs.command, ["backup-scheduler", "/etc/waste-backup/schedule"]);
    assert.deepEqual(inputs.volumes, [
      { volumeName: "postgres-data", containerPath: "/var/lib/postgresql/data" },
      { volumeName: "backup-socket", containerPath: "/var/run/postgresql" },
      { volumeName: "backup-repo", containerPath: "/var/lib/pgbackrest" },
      { volumeName: "backup-metrics", containerPath: "/var/lib/backup-metrics", readOnly: false },
      { volumeName: "backup-scratch", containerPath: "/var/lib/backup-scratch" },
      { volumeName: "redis-data", containerPath: "/srv/redis-data", readOnly: false },
      {
        volumeName: "alerting-prometheus-data",
        containerPath: "/srv/system/prometheus",
        readOnly: true,
      },
      {
        volumeName: "alerting-alertmanager-data",
        containerPath: "/srv/system/alertmanager",
        readOnly: true,
      },
      { volumeName: "grafana-data", containerPath: "/srv/system/grafana", readOnly: true },
    ]);
    const envs = inputs.envs as string[];
    assert.ok(envs.includes("REDIS_USER=waste_backup"));
    // No key tables configured: the manifest covers every table of the database.
    assert.ok(envs.includes("BACKUP_MANIFEST_TABLES="));
    // The DR test restores onto its own volume, not the live database's.
    assert.ok(envs.includes("BACKUP_SCRATCH_ROOT=/var/lib/backup-scratch"));
    assert.ok(envs.some((e) => /^PGBACKREST_REPO1_CIPHER_PASS=\w{32}$/.test(e)));
    const files = (inputs.uploads as { file: string }[]).map((u) => u.file);
    assert.ok(files.includes("/etc/waste-backup/rendered/postgres/postgresql.conf"));
    assert.ok(files.includes("/etc/waste-backup/rendered/monitoring/prometheus.yml"));
    assert.deepEqual(plainInputs(one(resources, "backup-image")), {
      imageName: "waste-management/postgres-backup:15-3.4-pgbackrest2.45",
      build: {
        context: "images/postgres-backup",
        args: { POSTGRES_IMAGE: "postgis/postgis:15-3.4" },
      },
      skipPush: true,
      buildOnPreview: false,
    });
    // The build's image ID, not its tag: a new build of the same tag must replace the containers.
    for (const name of ["backup-container", "postgres-container"]) {
      assert.equal(plainInputs(one(resources, name)).image, mockImageId("backup-image"), name);
    }
    const node = plainInputs(one(resources, "exporters-node-exporter"));
    assert.deepEqual(node.command, [
      "--path.rootfs=/host",
      "--collector.textfile.directory=/var/lib/backup-metrics",
    ]);
  });
});

interface Entry {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

describe("prod's backup storage in the offline render", () => {
  let entries: Entry[];
  before(async () => {
    const out = await renderedStack("prod");
    entries = JSON.parse(readRendered(out, "resources.json")) as Entry[];
  });
  const byType = (type: string) => entries.filter((e) => e.type === type);

  it("declares one private, versioned, KMS-encrypted bucket with a Glacier lifecycle", () => {
    assert.deepEqual(
      byType("aws:s3/bucket:Bucket").map((e) => e.inputs),
      [{ bucket: "waste-management-prod-backups", forceDestroy: false }],
    );
    assert.deepEqual(
      byType("aws:kms/key:Key").map((e) => e.inputs.enableKeyRotation),
      [true],
    );
    assert.deepEqual(byType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0].inputs, {
      bucket: "waste-management-prod-backups",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    assert.deepEqual(
      byType("aws:s3/bucketVersioning:BucketVersioning")[0].inputs.versioningConfiguration,
      { status: "Enabled" },
    );
    const sse = byType(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )[0].inputs;
    assert.match(JSON.stringify(sse), /"sseAlgorithm":"aws:kms"/);
    const rules = byType("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0]
      .inputs.rules;
    // pgBackRest reads every current object under its prefix (archive.info is written once, at
    // stanza-create): only the versions it deleted or replaced may go where a GET cannot reach.
    assert.deepEqual(rules, [
      {
        id: "replaced-versions-to-glacier",
        status: "Enabled",
        filter: { prefix: "pgbackrest/" },
        noncurrentVersionTransitions: [{ noncurrentDays: 30, storageClass: "GLACIER" }],
        noncurrentVersionExpiration: { noncurrentDays: 120 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
    ]);
    const transitions = JSON.stringify(rules).match(/"transitions"/g);
    assert.equal(transitions, null, "a current object would move to Glacier");
  });

  it("lets pgBackRest's IAM user reach its prefix of the bucket and the key, nothing else", () => {
    const policy = JSON.parse(String(byType("aws:iam/userPolicy:UserPolicy")[0].inputs.policy)) as {
      Statement: { Action: string[]; Resource: string[] }[];
    };
    const resources = policy.Statement.flatMap((s) => s.Resource);
    assert.deepEqual([...new Set(resources)].sort(), [
      "arn:aws:kms:mock-region:000000000000:key/mock-backup-s3-key",
      "arn:aws:s3:::waste-management-prod-backups",
      "arn:aws:s3:::waste-management-prod-backups/pgbackrest/*",
    ]);
    assert.ok(
      policy.Statement.every((s) =>
        s.Action.every((a) => /^(s3|kms):/.test(a) && !a.includes("*")),
      ),
    );
    assert.equal(byType("aws:iam/accessKey:AccessKey").length, 1);
  });

  it("passes the S3 key pair and the cipher pass as secrets, never in pgbackrest.conf", async () => {
    for (const name of ["postgres-container", "backup-container"]) {
      assert.equal(entries.find((e) => e.name === name)?.inputs.envs, "[secret]", name);
    }
    const conf = readRendered(await renderedStack("prod"), "backup/pgbackrest.conf");
    assert.match(conf, /^repo1-type=s3$/m);
    assert.match(conf, /^repo1-cipher-type=aes-256-cbc$/m);
    assert.doesNotMatch(conf, /cipher-pass=|s3-key=|s3-key-secret=/);
    assert.ok(fs.existsSync(path.join(BACKUP_BIN, "backup-db")));
  });
});
