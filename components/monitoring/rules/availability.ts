import { HEALTH_CHECKS, INTERVALS } from "../contract";
import { JOBS, PROBE_OF, sel } from "../selectors";
import { heldAlert, RuleArea } from "./model";

/** The services of the runbook's health-check table, up or down. */
export const availabilityRules: RuleArea = {
  name: "availability",
  interval: INTERVALS.fast,
  rules: [
    heldAlert({
      alert: "BackendDown",
      expr: `probe_success${PROBE_OF("backendHealth")} == 0`,
      for: 20,
      severity: "critical",
      team: "platform",
      summary: "Backend API is down",
      describe: (held) =>
        `GET ${HEALTH_CHECKS.backendHealth.path} on {{ $labels.instance }} has failed every probe (timeout ${HEALTH_CHECKS.backendHealth.timeout} s) for ${held}.`,
    }),
    heldAlert({
      alert: "FrontendDown",
      expr: `probe_success${PROBE_OF("frontendHealth")} == 0`,
      for: 30,
      severity: "critical",
      team: "platform",
      summary: "Frontend is down",
      describe: (held) =>
        `GET ${HEALTH_CHECKS.frontendHealth.path} on {{ $labels.instance }} has failed every probe for ${held}.`,
    }),
    heldAlert({
      alert: "PostgresDown",
      expr: `pg_up${sel({ job: JOBS.postgres })} == 0
or
up${sel({ job: JOBS.postgres })} == 0`,
      for: 60,
      severity: "critical",
      team: "platform",
      summary: "PostgreSQL is down",
      describe: (held) =>
        `The Postgres exporter on {{ $labels.instance }} cannot reach the database, or cannot be scraped, for ${held}.`,
    }),
    heldAlert({
      alert: "RedisDown",
      expr: `redis_up${sel({ job: JOBS.redis })} == 0
or
up${sel({ job: JOBS.redis })} == 0`,
      for: 20,
      severity: "critical",
      team: "platform",
      summary: "Redis is down",
      describe: (held) =>
        `The Redis exporter on {{ $labels.instance }} cannot reach Redis, or cannot be scraped, for ${held}.`,
    }),
    // Only while the exporter reaches Postgres: otherwise PostgresDown is the page.
    heldAlert({
      alert: "BackendDatabaseCheckFailing",
      expr: `probe_success${PROBE_OF("backendDatabase")} == 0
and on ()
pg_up${sel({ job: JOBS.postgres })} == 1`,
      for: 60,
      severity: "critical",
      team: "platform",
      summary: "Backend cannot use the database",
      describe: (held) =>
        `GET ${HEALTH_CHECKS.backendDatabase.path} on {{ $labels.instance }} has failed for ${held} while the Postgres exporter reaches the database: the fault lies between the backend and Postgres.`,
    }),
    // Only while the exporter reaches Redis: otherwise RedisDown is the page.
    heldAlert({
      alert: "BackendRedisCheckFailing",
      expr: `probe_success${PROBE_OF("backendRedis")} == 0
and on ()
redis_up${sel({ job: JOBS.redis })} == 1`,
      for: 60,
      severity: "critical",
      team: "platform",
      summary: "Backend cannot use Redis",
      describe: (held) =>
        `GET ${HEALTH_CHECKS.backendRedis.path} on {{ $labels.instance }} has failed for ${held} while the Redis exporter reaches Redis: the fault lies between the backend and Redis.`,
    }),
    heldAlert({
      alert: "ExternalServicesUnreachable",
      expr: `probe_success${PROBE_OF("backendExternal")} == 0`,
      for: 120,
      severity: "critical",
      team: "payments",
      summary: "Payment provider unreachable from the backend",
      describe: (held) =>
        `GET ${HEALTH_CHECKS.backendExternal.path} on {{ $labels.instance }} has failed for ${held}: payments cannot be taken.`,
    }),
  ],
};
