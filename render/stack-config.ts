import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigProblem, SECRETS_REQUIRED_IN_PROD } from "../components/config/load";
import { SETTINGS, SettingName } from "../components/config/settings";
import { undeclaredKeyProblems } from "./undeclared-keys";

export const ROOT = path.join(__dirname, "..");

interface ProjectFile {
  name: string;
  config?: Record<string, { default?: unknown }>;
}

interface StackFile {
  config?: Record<string, unknown>;
}

/** Config as the Pulumi CLI would hand it to the program, plus what the render had to stand in. */
export interface StackConfig {
  project: string;
  /** `namespace:key` to raw string, the form of PULUMI_CONFIG. */
  values: Record<string, string>;
  secretKeys: string[];
  /** Keys whose real value the render cannot have, with why. */
  standIns: { key: string; reason: string }[];
  /** What the Pulumi CLI would refuse in the stack file itself, such as an undeclared key. */
  problems: ConfigProblem[];
}

// Shaped like what they replace, so validation passes, and unmistakably not real material.
const STAND_IN_VALUES: Partial<Record<SettingName, string>> = {
  tlsCertificate:
    "-----BEGIN CERTIFICATE-----\nstand-in for the offline render\n-----END CERTIFICATE-----\n",
  tlsPrivateKey:
    "-----BEGIN PRIVATE KEY-----\nstand-in for the offline render\n-----END PRIVATE KEY-----\n",
  slackWebhookUrl: "https://stand-in.invalid/offline-render",
  deadMansSwitchUrl: "https://stand-in.invalid/offline-render-heartbeat",
};
const STAND_IN_DEFAULT = "stand-in-secret-for-offline-render";

function raw(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && "secure" in value;
}

/**
 * Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the CLI does: the stack's values over the
 * project's defaults. Encrypted values cannot be read without the stack's secrets provider, and
 * the secrets prod requires are never committed, so those get marked stand-ins.
 */
export function readStackConfig(stack: string, stackDir = ROOT): StackConfig {
  const stackPath = path.join(stackDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackPath)) {
    const known = knownStacks(stackDir).join(", ");
    throw new Error(`No stack file ${stackPath}; known stacks: ${known}`);
  }
  const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as ProjectFile;
  const stackFile = (parse(fs.readFileSync(stackPath, "utf8")) ?? {}) as StackFile;

  const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  const standIns: StackConfig["standIns"] = [];

  for (const [key, declaration] of Object.entries(project.config ?? {})) {
    if (declaration.default !== undefined) {
      values[qualify(key)] = raw(declaration.default);
    }
  }

  const standIn = (key: string, reason: string) => {
    const short = key.split(":")[1] as SettingName;
    values[key] = STAND_IN_VALUES[short] ?? STAND_IN_DEFAULT;
    secretKeys.push(key);
    standIns.push({ key, reason });
  };

  for (const [key, value] of Object.entries(stackFile.config ?? {})) {
    if (isSecure(value)) {
      standIn(qualify(key), "encrypted in the stack file");
    } else {
      values[qualify(key)] = raw(value);
    }
  }

  for (const [name, setting] of Object.entries(SETTINGS)) {
    const key = qualify(name);
    if ("secret" in setting && setting.secret && values[key] && !secretKeys.includes(key)) {
      secretKeys.push(key);
    }
  }

  if (values[qualify("environment")] === "prod") {
    for (const name of SECRETS_REQUIRED_IN_PROD) {
      const key = qualify(name);
      if (!secretKeys.includes(key) || values[key] === "") {
        standIn(key, "set with `pulumi config set --secret` before deploying, never committed");
      }
    }
  }
  const problems = undeclaredKeyProblems(
    Object.keys(stackFile.config ?? {}),
    project.name,
    Object.keys(project.config ?? {}),
  );
  return { project: project.name, values, secretKeys, standIns, problems };
}

export function knownStacks(stackDir = ROOT): string[] {
  return fs
    .readdirSync(stackDir)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((name): name is string => name !== undefined);
}
