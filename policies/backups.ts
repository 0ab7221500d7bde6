import { StackValidationPolicy } from "@pulumi/policy";
import { commandSetting, CONTAINER_TYPE, ContainerProps, uploadedFile } from "./containers-view";

interface BackupConfig {
  /** The longest archive_timeout accepted: the seconds of commits a lost host may take along. */
  maxArchiveTimeoutSeconds: number;
}

export const BACKUP_DEFAULTS: BackupConfig = { maxArchiveTimeoutSeconds: 60 };

/** The hours of the day a cron hour field names: `*`, lists, ranges and steps. */
export function cronHours(field: string): Set<number> {
  const hours = new Set<number>();
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const step = Number(stepText ?? 1);
    const [from, to] =
      range === "*"
        ? [0, 23]
        : range.includes("-")
          ? range.split("-").map(Number)
          : [Number(range), stepText === undefined ? Number(range) : 23];
    if (!Number.isInteger(from) || !Number.isInteger(to) || !(step >= 1)) {
      continue;
    }
    for (let hour = from; hour <= Math.min(to, 23); hour += step) {
      hours.add(hour);
    }
  }
  return hours;
}

interface ScheduleEntry {
  fields: string[];
  command: string;
}

function scheduleEntries(schedule: string): ScheduleEntry[] {
  return schedule
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const words = line.split(/\s+/);
      return { fields: words.slice(0, 5), command: words.slice(5).join(" ") };
    });
}

/** What a backup schedule misses of the runbook's promises, one sentence each. */
export function scheduleProblems(schedule: string): string[] {
  const entries = scheduleEntries(schedule);
  const problems: string[] = [];
  const full = entries.find((e) => e.command === "backup-db full");
  const daily = (e: ScheduleEntry) => e.fields.slice(2).every((f) => f === "*");
  if (full === undefined || !daily(full) || cronHours(full.fields[1]).size < 1) {
    problems.push("takes no full database backup every day");
  }
  const incremental = entries.find((e) => e.command === "backup-db incr");
  const fullHours = full === undefined ? new Set<number>() : cronHours(full.fields[1]);
  const covered = incremental === undefined ? new Set<number>() : cronHours(incremental.fields[1]);
  const missing = [...Array(24).keys()].filter((h) => !covered.has(h) && !fullHours.has(h));
  if (incremental === undefined || !daily(incremental) || missing.length > 0) {
    problems.push(
      "takes no incremental backup every hour" +
        (missing.length > 0 && incremental !== undefined
          ? ` (none at ${missing.join(", ")} h)`
          : ""),
    );
  }
  for (const [job, what] of [
    ["backup-system", "weekly system backup"],
    ["backup-redis", "Redis snapshot"],
  ]) {
    if (!entries.some((e) => e.command === job)) {
      problems.push(`schedules no ${what} (${job})`);
    }
  }
  return problems;
}

function setting(conf: string, name: string): string | undefined {
  const match = new RegExp(`^\\s*${name}\\s*=\\s*'?([^'\\n#]*)'?`, "m").exec(conf);
  return match?.[1].trim();
}

/** What a postgresql.conf misses of continuous archiving, one sentence each. */
export function archivingProblems(conf: string, config: BackupConfig): string[] {
  const problems: string[] = [];
  if (setting(conf, "archive_mode") !== "on") {
    problems.push("archive_mode is not on");
  }
  if (!/pgbackrest .*archive-push/.test(setting(conf, "archive_command") ?? "")) {
    problems.push("archive_command does not push WAL with pgbackrest archive-push");
  }
  const timeout = /^(\d+)(s|min)?$/.exec(setting(conf, "archive_timeout") ?? "");
  const seconds =
    timeout === null ? Infinity : Number(timeout[1]) * (timeout[2] === "min" ? 60 : 1);
  if (!(seconds > 0 && seconds <= config.maxArchiveTimeoutSeconds)) {
    problems.push(`archive_timeout is not between 1 and ${config.maxArchiveTimeoutSeconds} s`);
  }
  return problems;
}

export const backupsScheduled: StackValidationPolicy = {
  name: "backups-scheduled",
  description:
    "Postgres archives its WAL continuously through pgBackRest, and the stack schedules a daily " +
    "full and an hourly incremental backup, a weekly system backup and a Redis snapshot.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxArchiveTimeoutSeconds: {
        type: "integer",
        default: BACKUP_DEFAULTS.maxArchiveTimeoutSeconds,
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const config = { ...BACKUP_DEFAULTS, ...args.getConfig<BackupConfig>() };
    const containers = args.resources
      .filter((r) => r.type === CONTAINER_TYPE)
      .map((r) => ({ urn: r.urn, props: r.props as ContainerProps }));

    const postgres = containers.filter((c) => c.props.command?.[0] === "postgres");
    if (postgres.length === 0) {
      reportViolation("No container runs Postgres, so nothing archives WAL.");
    }
    for (const { urn, props } of postgres) {
      const path = commandSetting(props, "config_file");
      const conf = path === undefined ? undefined : uploadedFile(props, path);
      const problems =
        conf === undefined
          ? ["it has no postgresql.conf from the stack"]
          : archivingProblems(conf, config);
      for (const problem of problems) {
        reportViolation(
          `Postgres loses more than a minute of commits with its host: ${problem}.`,
          urn,
        );
      }
    }

    const schedulers = containers.filter((c) => c.props.command?.[0] === "backup-scheduler");
    if (schedulers.length === 0) {
      reportViolation("No container runs the backup scheduler, so no backup is ever taken.");
    }
    for (const { urn, props } of schedulers) {
      const path = props.command?.[1];
      const schedule = path === undefined ? undefined : uploadedFile(props, path);
      const problems =
        schedule === undefined
          ? ["it reads no schedule from the stack"]
          : scheduleProblems(schedule);
      for (const problem of problems) {
        reportViolation(`The backup scheduler ${problem}.`, urn);
      }
    }
  },
};
