import { MonitoringDrill } from "./monitoring-drill";

/** The statement the workload runs both on its own and inside a PL/pgSQL function. */
const NEAR_PICKUPS = `SELECT count(*) FROM drill_pickups
  WHERE ST_DWithin(location, ST_SetSRID(ST_MakePoint(3, 3), 4326), 2)`;

// Work of the kind the catalogue's Postgres names describe: a table with inserts, updates and
// deletes, and statements calling PostGIS functions, so that pg_stat_statements and
// pg_stat_user_tables have rows for the queries file to report. With pg_stat_statements.track
// 'all', a statement run by EXECUTE inside a function is recorded a second time, under the same
// queryid with toplevel false: the queries file must not report the two as one series twice.
const DATABASE_WORK = `CREATE TABLE drill_pickups (id serial PRIMARY KEY, location geometry(Point, 4326));
INSERT INTO drill_pickups (location)
  SELECT ST_SetSRID(ST_MakePoint(i, i), 4326) FROM generate_series(1, 10) AS i;
UPDATE drill_pickups SET location = ST_Translate(location, 1, 1) WHERE id < 5;
DELETE FROM drill_pickups WHERE id > 8;
CREATE FUNCTION drill_near_pickups() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE found bigint;
BEGIN
  EXECUTE '${NEAR_PICKUPS}' INTO found;
  RETURN found;
END $$;
${NEAR_PICKUPS};
SELECT drill_near_pickups();`;

// A Lua loop that runs for well over slowlog-log-slower-than (10 ms), so Redis logs it as slow.
const SLOW_SCRIPT = "local n = 0 for i = 1, 20000000 do n = n + 1 end return n";

/** How many slow commands the workload runs: the slow-log panel must count them. */
export const SLOW_COMMANDS = 3;

/**
 * What the backend and its users would do, enough for every exporter the drill runs to report
 * the series the dashboards read: SQL with PostGIS, slow Redis commands, and answers in nginx's
 * access log, all 2xx and 3xx, so that the error panels must show 0 rather than nothing.
 */
export async function runWorkload(drill: MonitoringDrill): Promise<void> {
  await drill.sql(DATABASE_WORK);
  for (let i = 0; i < SLOW_COMMANDS; i++) {
    await drill.redisAsApp(["EVAL", SLOW_SCRIPT, "0"]);
  }
  drill.accessLog([200, 200, 200, 301, 200]);
}
