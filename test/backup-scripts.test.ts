import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { BACKUP_BIN } from "./support/backup-env";
import { requireBinary, run } from "./support/processes";

const DOCKERFILE = path.join(BACKUP_BIN, "..", "Dockerfile");

describe("the backup image's scripts", () => {
  const scripts = fs.readdirSync(BACKUP_BIN).sort();

  it("pass shellcheck 0.9, following the shared library", async () => {
    requireBinary("/usr/bin/shellcheck", "shellcheck");
    const files = scripts.map((script) => path.join(BACKUP_BIN, script));
    const result = await run("/usr/bin/shellcheck", ["-x", ...files], { timeoutMs: 60000 });
    assert.equal(result.code, 0, result.stdout);
  }).timeout(60000);

  it("are copied into the image whole, beside Debian's pgBackRest 2.45", () => {
    const dockerfile = fs.readFileSync(DOCKERFILE, "utf8");
    assert.match(dockerfile, /^COPY bin\/ \/usr\/local\/lib\/waste-backup\/$/m);
    assert.match(dockerfile, /pgbackrest=2\.45-1/);
    assert.match(dockerfile, /^ARG POSTGRES_IMAGE=postgis\/postgis:15-3\.4$/m);
    // A new volume takes the image directory's owner: the DR test writes there as postgres.
    assert.match(
      dockerfile,
      /install -d -o postgres -g postgres -m 0750 \\\n.*\/var\/lib\/backup-scratch/,
    );
    for (const script of scripts.filter((s) => !s.endsWith(".sh"))) {
      const mode = fs.statSync(path.join(BACKUP_BIN, script)).mode;
      assert.ok(mode & 0o100, `${script} is not executable`);
    }
  });
});
