import assert from "node:assert/strict";
import * as path from "node:path";
import { parseOps, targetProblem } from "../ops/commands";
import { run } from "./support/processes";

const ROOT = path.join(__dirname, "..");

function ops(args: string[]) {
  const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
  return run(tsNode, ["-T", path.join(ROOT, "ops", "main.ts"), ...args], { timeoutMs: 60000 });
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

  it("stops postgres, restores with the image's script and starts postgres again", () => {
    const parsed = parseOps(["restore", "--target", "2024-05-01 10:15:00+00"]);
    assert.ok("steps" in parsed);
    assert.deepEqual(
      parsed.steps.map((s) => s.argv),
      [
        ["docker", "stop", "-t", "60", "postgres"],
        ["docker", "exec", "-i", "backup", "backup-restore", "--target", "2024-05-01 10:15:00+00"],
        ["docker", "start", "postgres"],
      ],
    );
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
    assert.deepEqual(parseOps(["restore"]), {
      error: "restore needs exactly one of --latest or --target <time>",
    });
    assert.deepEqual(parseOps(["restore", "--latest", "--target", "2024-05-01 10:15:00+00"]), {
      error: "restore needs exactly one of --latest or --target <time>",
    });
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
        "# stop the server cleanly",
        "docker stop -t 60 postgres",
        "# restore the data directory in place",
        "docker exec -i backup backup-restore --latest",
        "# start the server: it replays WAL and opens",
        "docker start postgres",
        "",
      ].join("\n"),
    );
  });
});
