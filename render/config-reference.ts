import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { SETTINGS } from "../components/config/settings";
import { ROOT } from "./stack-config";

export const PROJECT_FILE = path.join(ROOT, "Pulumi.yaml");
export const README_FILE = path.join(ROOT, "README.md");
const START = "<!-- config-reference:start -->";
const END = "<!-- config-reference:end -->";

/** Pulumi.yaml, with every key declared from SETTINGS: type, description, default. */
export function renderProjectFile(): string {
  const config = Object.fromEntries(
    Object.entries(SETTINGS).map(([key, s]) => [
      key,
      {
        type: s.type,
        ...(s.type === "array" ? { items: { type: "string" } } : {}),
        description: s.description,
        default: s.default,
      },
    ]),
  );
  const project = {
    name: "waste-management",
    description:
      "Infrastructure of the waste-management platform: one Docker host, run by its runbook.",
    runtime: { name: "nodejs", options: { typescript: true } },
    config,
  };
  return [
    "# Generated from components/config/settings/ by `npm run config:sync`; edit the keys there.",
    stringify(project, { lineWidth: 0 }),
  ].join("\n");
}

function cell(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text === "" ? "(empty)" : `\`${text}\``;
}

/** The README's configuration reference table. */
export function renderReference(): string {
  const rows = Object.entries(SETTINGS).map(
    ([key, s]) =>
      `| \`${key}\` | ${s.type}${"secret" in s && s.secret ? " (secret)" : ""} | ${cell(s.default)} | ${s.description} |`,
  );
  return ["| Key | Type | Default | Meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** README.md with its reference section replaced by the current one. */
export function readmeWithReference(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) {
    throw new Error(`README.md needs the markers ${START} and ${END}`);
  }
  return `${readme.slice(0, start + START.length)}\n${renderReference()}\n${readme.slice(end)}`;
}

if (require.main === module) {
  fs.writeFileSync(PROJECT_FILE, renderProjectFile());
  fs.writeFileSync(README_FILE, readmeWithReference(fs.readFileSync(README_FILE, "utf8")));
  process.stdout.write("Pulumi.yaml and the README's configuration reference are up to date.\n");
}
