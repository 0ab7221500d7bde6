import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseOps, targetProblem } from "../ops/commands";
import { run, tempDir } from "./support/processes";

const ROOT = path.join(__dirname, "..");

function ops(args: string[], env: NodeJS.ProcessEnv = {}) {
  const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
  const main = path.join(ROOT, "ops", "main.ts");
  return run(tsNode, ["-T", main, ...args], { timeoutMs: 60000, env });
}

/**
 * A `docker` first on PATH that records its arguments, one call a line, and answers `inspect`
 * with the given running state: the sequence ops runs, without a Docker engine.
 */
function fakeDocker(state: { running: string; failing?: string }) {
  const dir = tempDir("fake-docker");
  const log = path.join(dir, "calls");
  fs.writeFileSync(
    path.join(dir, "docker"),
    [
      "#!/bin/sh",
      `echo "$*" >> ${log}`,
      `if [ "$1" = inspect ]; then echo ${state.running}; fi`,
      ...(state.failing ? [`case "$*" in *${state.failing}*) exit 1;; esac`] : []),
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return {
    env: { PATH: `${dir}:${process.env.PATH ?? ""}` },
    calls: () => fs.readFileSync(log, "utf8").trim().split("\n"),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

describe("npm run ops", () => {
  it("runs each backup job in the backup container", () => {
    assert.deepEqual(parseOps(["backup", "--type", "full"]), {
      steps: [
        {
          why: "take a full backup",
          argv: ["docker", "exec", "-i", "backup", "backup-db", "full"],
        },
      ],
    });
    const argv = (args: string[]) => {
      const parsed = parseOps(args);
      return "steps" in parsed ? parsed.steps.map((s) => s.argv.slice(4).join(" ")) : parsed;
    };
    assert.deepEqual(argv(["backup", "--type", "incr"]), ["backup-db incr"]);
    assert.deepEqual(argv(["list"]), ["pgbackrest info"]);
    assert.deepEqual(argv(["verify"]), ["backup-verify"]);
    assert.deepEqual(argv(["dr-test"]), ["backup-dr-test"]);
    assert.deepEqual(argv(["redis-snapshot"]), ["backup-redis"]);
    assert.deepEqual(argv(["system-backup"]), ["backup-system"]);
  });

  it("archives the current WAL, stops postgres, restores with the image's script and starts it", () => {
    const parsed = parseOps(["restore", "--target", "2024-05-01 10:15:00+00"]);
    assert.ok("steps" in parsed);
    assert.deepEqual(
      parsed.steps.map((s) => s.argv),
      [
        ["docker", "exec", "-i", "backup", "backup-wal-flush"],
        ["docker", "stop", "-t", "60", "postgres"],
        ["docker", "inspect", "-f", "{{.State.Running}}", "postgres"],
        ["docker", "exec", "-i", "backup", "backup-restore", "--target", "2024-05-01 10:15:00+00"],
        ["docker", "start", "postgres"],
        ["docker", "exec", "-i", "backup", "backup-restore", "--finish"],
      ],
    );
  });

  it("stops Redis, puts a snapshot back with the image's script and starts Redis again", () => {
    const argv = (args: string[]) => {
      const parsed = parseOps(args);
      return "steps" in parsed ? parsed.steps.map((s) => s.argv.join(" ")) : parsed;
    };
    assert.deepEqual(argv(["redis-restore"]), [
      "docker stop -t 30 redis",
      "docker inspect -f {{.State.Running}} redis",
      "docker exec -i backup backup-redis-restore --latest",
      "docker start redis",
    ]);
    assert.deepEqual(argv(["redis-restore", "--snapshot", "dump-20240501T101500Z.rdb"]), [
      "docker stop -t 30 redis",
      "docker inspect -f {{.State.Running}} redis",
      "docker exec -i backup backup-redis-restore dump-20240501T101500Z.rdb",
      "docker start redis",
    ]);
    assert.deepEqual(parseOps(["redis-restore", "--snapshot", "../../etc/passwd"]), {
      error: "redis-restore takes no argument or --snapshot dump-<YYYYMMDDTHHMMSSZ>.rdb",
    });
  });

  it("restores to a backup's restore point and verifies against the same backup's manifest", () => {
    const argv = (args: string[]) => {
      const parsed = parseOps(args);
      return "steps" in parsed ? parsed.steps.map((s) => s.argv.join(" ")) : parsed;
    };
    const label = "20240501-020000F_20240501-100000I";
    assert.deepEqual(argv(["restore", "--backup", label]), [
      "docker exec -i backup backup-wal-flush",
      "docker stop -t 60 postgres",
      "docker inspect -f {{.State.Running}} postgres",
      `docker exec -i backup backup-restore --backup ${label}`,
      "docker start postgres",
      "docker exec -i backup backup-restore --finish",
    ]);
    assert.deepEqual(argv(["verify", "--manifest", label]), [
      `docker exec -i backup backup-verify --manifest ${label}`,
    ]);
  });

  it("accepts timestamps with a zone and refuses the rest, naming what is wrong", () => {
    for (const good of [
      "2024-05-01 10:15:00+00",
      "2024-05-01T10:15:00.123456Z",
      "2024-12-31 23:59:59-05:30",
    ]) {
      assert.equal(targetProblem(good), undefined, good);
    }
    assert.match(targetProblem("2024-05-01 10:15:00") ?? "", /not a timestamp with a time zone/);
    assert.match(targetProblem("yesterday") ?? "", /not a timestamp with a time zone/);
    assert.match(targetProblem("2024-02-30 10:00:00+00") ?? "", /not a real date and time/);
    assert.match(targetProblem("2024-05-01 24:10:00+00") ?? "", /not a real date and time/);
  });

  it("refuses bad arguments of each command", () => {
    assert.deepEqual(parseOps(["backup", "--type", "differential"]), {
      error: "backup needs --type full or --type incr",
    });
    const oneOf = "restore needs exactly one of --latest, --target <time> or --backup <label>";
    assert.deepEqual(parseOps(["restore"]), { error: oneOf });
    assert.deepEqual(parseOps(["restore", "--latest", "--target", "2024-05-01 10:15:00+00"]), {
      error: oneOf,
    });
    assert.deepEqual(parseOps(["restore", "--backup", "latest"]), {
      error:
        "restore --backup: 'latest' is not a backup label, such as 20240501-020000F or 20240501-020000F_20240501-100000I (see npm run ops -- list)",
    });
    assert.match(
      (parseOps(["verify", "--manifest", "20240501-020000"]) as { error: string }).error,
      /^verify --manifest: '20240501-020000' is not a backup label/,
    );
    assert.deepEqual(parseOps(["list", "--all"]), { error: "list takes no arguments (got --all)" });
  });

  it("prints the usage and exits 64 on an unknown command, touching no container", async () => {
    const result = await ops(["rollback"]);
    assert.equal(result.code, 64);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^ops: unknown command 'rollback'\n\nUsage: npm run ops -- <command>/,
    );
  });

  it("exits 64 without a command and on a bad timestamp", async () => {
    const empty = await ops([]);
    assert.equal(empty.code, 64);
    assert.match(empty.stderr, /^ops: no command given/);
    const bad = await ops(["restore", "--target", "2024-13-01 00:00:00+00"]);
    assert.equal(bad.code, 64);
    assert.match(
      bad.stderr,
      /restore --target: '2024-13-01 00:00:00\+00' is not a real date and time/,
    );
  });

  it("prints the docker commands of a dry run and runs none", async () => {
    const result = await ops(["restore", "--latest", "--dry-run"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        "# archive the WAL segment the server is writing (stop the backend first)",
        "docker exec -i backup backup-wal-flush",
        "# stop the server cleanly",
        "docker stop -t 60 postgres",
        "# make sure it is stopped: a restore under a running server destroys its data (must print false)",
        "docker inspect -f {{.State.Running}} postgres",
        "# restore the data directory in place",
        "docker exec -i backup backup-restore --latest",
        "# start the server: it replays WAL and opens",
        "docker start postgres",
        "# wait until the server is open; scheduled backups skip until then",
        "docker exec -i backup backup-restore --finish",
        "",
      ].join("\n"),
    );
  });

  it("runs the restore's docker commands in order once the container is stopped", async () => {
    const docker = fakeDocker({ running: "false" });
    try {
      const result = await ops(["restore", "--latest"], docker.env);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(docker.calls(), [
        "exec -i backup backup-wal-flush",
        "stop -t 60 postgres",
        "inspect -f {{.State.Running}} postgres",
        "exec -i backup backup-restore --latest",
        "start postgres",
        "exec -i backup backup-restore --finish",
      ]);
    } finally {
      docker.remove();
    }
  });

  it("leaves postgres running when the WAL it is writing cannot be archived", async () => {
    const docker = fakeDocker({ running: "true", failing: "backup-wal-flush" });
    try {
      const result = await ops(["restore", "--latest"], docker.env);
      assert.equal(result.code, 1, result.stdout);
      assert.match(
        result.stderr,
        /'docker exec -i backup backup-wal-flush' failed \(exit status 1\)/,
      );
      assert.deepEqual(docker.calls(), ["exec -i backup backup-wal-flush"]);
    } finally {
      docker.remove();
    }
  });

  it("restores nothing while Docker still reports the postgres container running", async () => {
    const docker = fakeDocker({ running: "true" });
    try {
      const result = await ops(["restore", "--latest"], docker.env);
      assert.equal(result.code, 1, result.stdout);
      assert.match(
        result.stderr,
        /^ops: 'docker inspect -f \{\{\.State\.Running\}\} postgres' printed 'true', not 'false'/,
      );
      assert.deepEqual(docker.calls(), [
        "exec -i backup backup-wal-flush",
        "stop -t 60 postgres",
        "inspect -f {{.State.Running}} postgres",
      ]);
    } finally {
      docker.remove();
    }
  });
});
