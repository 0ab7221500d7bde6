import { BACKUP_CONTAINER, POSTGRES_CONTAINER, REDIS_CONTAINER } from "../components/backup/layout";

/** One command an operation runs on the Docker host, and why, for --dry-run and errors. */
export interface Step {
  why: string;
  argv: string[];
  /** What the command must print (trimmed) for the operation to go on; a check, not an action. */
  expect?: string;
}

export type Parsed = { steps: Step[] } | { error: string };

export const USAGE = `Usage: npm run ops -- <command> [options] [--dry-run]

Commands (each runs in the ${BACKUP_CONTAINER} container through docker exec):
  backup --type full|incr      take a backup now
  list                         list the backups in the repository
  restore --latest             archive the current WAL, stop ${POSTGRES_CONTAINER}, restore every archived
                               commit (--delta), start it
  restore --target <time>      the same, up to a time such as '2024-05-01 10:15:00+00'
  restore --backup <label>     the same, to that backup's restore point (its manifest's state)
  verify                       pgBackRest verify and check, amcheck on the live database
  verify --manifest <label>    the same, and every table against that backup's manifest
  dr-test                      restore the latest backup into a scratch server and verify it
  redis-snapshot               BGSAVE SCHEDULE and copy Redis's RDB into the repository
  redis-restore [--snapshot <name>]
                               stop ${REDIS_CONTAINER}, put a snapshot back (default: the newest), start it
  system-backup                archive the monitoring data and the rendered configuration

--dry-run prints the docker commands instead of running them. DOCKER_HOST selects the host.`;

/** A timestamp pgBackRest and PostgreSQL read the same way: a date, a time and a zone. */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)$/;

/** A pgBackRest backup label: a full, or a differential or incremental on top of one. */
const LABEL = /^\d{8}-\d{6}F(_\d{8}-\d{6}[DI])?$/;

function labelProblem(option: string, text: string): string | undefined {
  return LABEL.test(text)
    ? undefined
    : `${option}: '${text}' is not a backup label, such as 20240501-020000F or ` +
        "20240501-020000F_20240501-100000I (see npm run ops -- list)";
}

/** Why a restore target is not usable, or undefined. */
export function targetProblem(text: string): string | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) {
    return `'${text}' is not a timestamp with a time zone, such as '2024-05-01 10:15:00+00'`;
  }
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;
  return real ? undefined : `'${text}' is not a real date and time`;
}

const exec = (why: string, ...argv: string[]): Step => ({
  why,
  argv: ["docker", "exec", "-i", BACKUP_CONTAINER, ...argv],
});

function restoreSteps(args: string[]): Parsed {
  let target: string[];
  if (args.length === 1 && args[0] === "--latest") {
    target = ["--latest"];
  } else if (args.length === 2 && args[0] === "--target") {
    const problem = targetProblem(args[1]);
    if (problem) {
      return { error: `restore --target: ${problem}` };
    }
    target = ["--target", args[1]];
  } else if (args.length === 2 && args[0] === "--backup") {
    const problem = labelProblem("restore --backup", args[1]);
    if (problem) {
      return { error: problem };
    }
    target = ["--backup", args[1]];
  } else {
    return {
      error: "restore needs exactly one of --latest, --target <time> or --backup <label>",
    };
  }
  return {
    steps: [
      exec(
        "archive the WAL segment the server is writing (stop the backend first)",
        "backup-wal-flush",
      ),
      { why: "stop the server cleanly", argv: ["docker", "stop", "-t", "60", POSTGRES_CONTAINER] },
      {
        why: "make sure it is stopped: a restore under a running server destroys its data",
        argv: ["docker", "inspect", "-f", "{{.State.Running}}", POSTGRES_CONTAINER],
        expect: "false",
      },
      exec("restore the data directory in place", "backup-restore", ...target),
      {
        why: "start the server: it replays WAL and opens",
        argv: ["docker", "start", POSTGRES_CONTAINER],
      },
      exec(
        "wait until the server is open; scheduled backups skip until then",
        "backup-restore",
        "--finish",
      ),
    ],
  };
}

/** A snapshot's name as backup-redis stores it. */
const SNAPSHOT = /^dump-\d{8}T\d{6}Z\.rdb$/;

function redisRestoreSteps(args: string[]): Parsed {
  let snapshot: string;
  if (args.length === 0) {
    snapshot = "--latest";
  } else if (args.length === 2 && args[0] === "--snapshot" && SNAPSHOT.test(args[1])) {
    snapshot = args[1];
  } else {
    return {
      error: "redis-restore takes no argument or --snapshot dump-<YYYYMMDDTHHMMSSZ>.rdb",
    };
  }
  return {
    steps: [
      { why: "stop Redis", argv: ["docker", "stop", "-t", "30", REDIS_CONTAINER] },
      {
        why: "make sure it is stopped: a running Redis would save over the restored files",
        argv: ["docker", "inspect", "-f", "{{.State.Running}}", REDIS_CONTAINER],
        expect: "false",
      },
      exec("put the snapshot back as Redis's data", "backup-redis-restore", snapshot),
      { why: "start Redis: it loads the snapshot", argv: ["docker", "start", REDIS_CONTAINER] },
    ],
  };
}

/** The steps of an `ops` command line, or what is wrong with it. */
export function parseOps(argv: string[]): Parsed {
  const [command, ...rest] = argv.filter((arg) => arg !== "--dry-run");
  const none = (steps: Step[]): Parsed =>
    rest.length === 0
      ? { steps }
      : { error: `${command} takes no arguments (got ${rest.join(" ")})` };
  switch (command) {
    case undefined:
      return { error: "no command given" };
    case "backup":
      if (rest.length === 2 && rest[0] === "--type" && ["full", "incr"].includes(rest[1])) {
        return { steps: [exec(`take a ${rest[1]} backup`, "backup-db", rest[1])] };
      }
      return { error: "backup needs --type full or --type incr" };
    case "list":
      return none([exec("list the backups", "pgbackrest", "info")]);
    case "restore":
      return restoreSteps(rest);
    case "verify":
      if (rest.length === 2 && rest[0] === "--manifest") {
        const problem = labelProblem("verify --manifest", rest[1]);
        return problem
          ? { error: problem }
          : {
              steps: [
                exec(
                  "verify the repository and the database against the backup's manifest",
                  "backup-verify",
                  "--manifest",
                  rest[1],
                ),
              ],
            };
      }
      return none([exec("verify the repository and the database", "backup-verify")]);
    case "dr-test":
      return none([exec("restore into a scratch server and verify it", "backup-dr-test")]);
    case "redis-snapshot":
      return none([exec("snapshot Redis", "backup-redis")]);
    case "redis-restore":
      return redisRestoreSteps(rest);
    case "system-backup":
      return none([exec("archive the system data", "backup-system")]);
    default:
      return { error: `unknown command '${command}'` };
  }
}
