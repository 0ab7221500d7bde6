import { Cron } from "croner";

/**
 * Standard 5-field cron (minute hour day-of-month month day-of-week), read in UTC, with the
 * numeric forms the image's matcher understands: `*`, numbers, ranges, steps and lists. Names
 * (MON, JAN) and croner's extensions (L, W, #, ?) are refused so that the scheduler and this
 * check always read a schedule the same way.
 */
const FIELD = /^(\*|[0-9]+(-[0-9]+)?)(\/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(\/[0-9]+)?)*$/;

/** A parsed schedule, for asking when it fires; never started as a timer. */
export function cronOf(schedule: string): Cron {
  return new Cron(schedule, { mode: "5-part", timezone: "UTC", paused: true });
}

/** Why a schedule is not usable, or undefined when it is. */
export function scheduleProblem(schedule: string): string | undefined {
  const fields = schedule.trim().split(/\s+/);
  const example = "such as '0 2 * * *' for 02:00 UTC daily";
  if (fields.length !== 5) {
    return `must be a cron schedule of 5 fields (minute hour day month weekday), ${example}`;
  }
  const bad = fields.find((field) => !FIELD.test(field));
  if (bad !== undefined) {
    return `must use numbers, *, ranges, steps and lists only (field "${bad}"), ${example}`;
  }
  try {
    cronOf(schedule);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(
      /^CronPattern: /,
      "",
    );
    return `is not a valid cron schedule (${reason}), ${example}`;
  }
  return undefined;
}

const MINUTE = 60 * 1000;

/** Where the collision search starts; 28 years cover every weekday of every date. */
const SEARCH_FROM = new Date(Date.UTC(2024, 0, 1));
const SEARCH_YEARS = 28;
const SEARCH_RUNS = 20000;

/**
 * The first time the second schedule fires while a run of the first may still hold the stanza:
 * at a start of the first, or within `windowMinutes` after it. pgBackRest refuses a second backup
 * of a stanza while one runs, so the rendered schedules must keep this empty.
 */
export function firstCollision(
  first: string,
  second: string,
  windowMinutes: number,
): Date | undefined {
  const key = `${first}|${second}|${windowMinutes}`;
  if (!collisions.has(key)) {
    collisions.set(key, searchCollision(first, second, windowMinutes));
  }
  return collisions.get(key);
}

// Validation runs once per stack, but the config tests validate thousands of configurations.
const collisions = new Map<string, Date | undefined>();

function searchCollision(first: string, second: string, windowMinutes: number): Date | undefined {
  const a = cronOf(first);
  const b = cronOf(second);
  const end = new Date(SEARCH_FROM);
  end.setUTCFullYear(end.getUTCFullYear() + SEARCH_YEARS);
  let start = a.nextRun(new Date(SEARCH_FROM.getTime() - MINUTE));
  for (let runs = 0; start !== null && start < end && runs < SEARCH_RUNS; runs++) {
    // The next run of the second schedule at or after the first's start.
    const clash = b.nextRun(new Date(start.getTime() - MINUTE));
    if (clash !== null && clash.getTime() < start.getTime() + windowMinutes * MINUTE) {
      return clash;
    }
    start = a.nextRun(start);
  }
  return undefined;
}

/** `2024-01-01 02:00 UTC`, how problems name a time. */
export function utcMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The schedules of the backup jobs, each 5-field cron in UTC, from config. */
export interface BackupSchedules {
  full: string;
  incremental: string;
  system: string;
  redis: string;
}

/** The scheduler's jobs: a script of the image and its arguments, per schedule. */
export const JOBS: Record<keyof BackupSchedules, string> = {
  full: "backup-db full",
  incremental: "backup-db incr",
  system: "backup-system",
  redis: "backup-redis",
};

/** The schedule file backup-scheduler reads: one `<cron> <job>` line per job. */
export function renderSchedule(schedules: BackupSchedules): string {
  const keys = Object.keys(JOBS) as (keyof BackupSchedules)[];
  const width = Math.max(...keys.map((key) => schedules[key].length)) + 2;
  const lines = keys.map((key) => `${schedules[key].padEnd(width)}${JOBS[key]}`);
  return [
    "# Rendered by the waste-management stack from the backup*Schedule settings; times are UTC.",
    ...lines,
    "",
  ].join("\n");
}
