import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** The directory of the promtool unit tests, one `<area>.test.yml` per rule area. */
export const UNIT_TESTS = path.join(__dirname, "..", "promtool");

/** The rule areas that have a unit-test file, sorted. */
export const AREAS = fs
  .readdirSync(UNIT_TESTS)
  .filter((file) => file.endsWith(".test.yml"))
  .map((file) => file.replace(/\.test\.yml$/, ""))
  .sort();

export interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: unknown }[];
}

export interface UnitTestFile {
  rule_files: string[];
  evaluation_interval?: string;
  tests: { name?: string; interval?: string; alert_rule_test?: AlertCase[] }[];
}

export function unitTestFile(area: string): UnitTestFile {
  const text = fs.readFileSync(path.join(UNIT_TESTS, `${area}.test.yml`), "utf8");
  return parse(text) as UnitTestFile;
}

export function alertCases(area: string): AlertCase[] {
  return unitTestFile(area).tests.flatMap((group) => group.alert_rule_test ?? []);
}
