import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { crossKeyProblems } from "./cross-key-rules";
import { SETTINGS, Setting, SettingName, SettingValues } from "./settings";

/** One thing wrong with the configuration: the key and what would be valid. */
export interface ConfigProblem {
  key: string;
  message: string;
}

/**
 * Bad configuration, every problem at once. A RunError makes Pulumi print the message alone,
 * without the stack trace that would bury it.
 */
export class ConfigError extends pulumi.RunError {
  constructor(
    public readonly problems: readonly ConfigProblem[],
    project: string,
  ) {
    super(formatProblems(problems, project));
    this.name = "ConfigError";
  }
}

function formatProblems(problems: readonly ConfigProblem[], project: string): string {
  const noun = problems.length === 1 ? "problem" : "problems";
  // Keys of other namespaces, such as the AWS provider's aws:region, are named as they are.
  const lines = problems.map(
    (p) => `  - ${p.key.includes(":") ? p.key : `${project}:${p.key}`}: ${p.message}`,
  );
  return [
    `The stack configuration has ${problems.length} ${noun}; nothing was created:`,
    ...lines,
    "Fix each with `pulumi config set <key> <value>` (add --secret for secrets) and run again.",
  ].join("\n");
}

/** Reads one raw config value, as Pulumi hands them over: strings, with arrays as JSON. */
export type RawReader = (key: SettingName) => string | undefined;

function coerce(setting: Setting, raw: string): { value?: unknown; problem?: string } {
  switch (setting.type) {
    case "string":
      return { value: raw };
    case "integer":
      return /^-?[0-9]+$/.test(raw.trim())
        ? { value: Number(raw) }
        : { problem: `must be a whole number (got "${raw}")` };
    case "boolean":
      return raw === "true" || raw === "false"
        ? { value: raw === "true" }
        : { problem: `must be true or false (got "${raw}")` };
    case "array":
      try {
        const parsed: unknown = JSON.parse(raw);
        return Array.isArray(parsed)
          ? { value: parsed }
          : { problem: "must be a list, set with `pulumi config set --path 'key[0]' value`" };
      } catch {
        return { problem: "must be a list, set with `pulumi config set --path 'key[0]' value`" };
      }
  }
}

function describeValue(value: unknown, secret: boolean | undefined): string {
  return secret ? "" : ` (got ${JSON.stringify(value)})`;
}

/** Reads a key of another namespace, such as `aws:region`. */
export type ForeignReader = (key: string) => string | undefined;

/** Reads and validates every setting; returns the values or every problem found. */
export function validateSettings(
  read: RawReader,
  readForeign: ForeignReader = () => undefined,
): { values: SettingValues; problems: [] } | { values?: undefined; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const values: Record<string, unknown> = {};

  for (const [key, setting] of Object.entries(SETTINGS) as [SettingName, Setting][]) {
    const raw = read(key);
    let value: unknown = setting.default;
    if (raw !== undefined) {
      const coerced = coerce(setting, raw);
      if (coerced.problem !== undefined) {
        problems.push({ key, message: coerced.problem });
        continue;
      }
      value = coerced.value;
    }
    const result = setting.schema.safeParse(value);
    if (!result.success) {
      problems.push(...issuesOf(key, result.error, value, setting.secret));
      continue;
    }
    values[key] = result.data;
  }

  // Rules across keys run on every key that parsed, so one typo hides no other problem.
  problems.push(...crossKeyProblems(values, readForeign));
  return problems.length > 0 ? { problems } : { values: values as SettingValues, problems: [] };
}

function issuesOf(
  key: SettingName,
  error: z.ZodError,
  value: unknown,
  secret: boolean | undefined,
): ConfigProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? `[${issue.path.join("][")}]` : "";
    const got = path ? getAt(value, issue.path) : value;
    const message =
      issue.code === "invalid_value" && "values" in issue
        ? `must be one of ${issue.values.map((v) => String(v)).join(", ")}`
        : issue.message;
    return { key: `${key}${path}`, message: `${message}${describeValue(got, secret)}` };
  });
}

function getAt(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (current, part) => (current as Record<PropertyKey, unknown> | undefined)?.[part],
    value,
  );
}

/** Secrets a prod stack cannot run without; dev makes its own or does without. */
export const SECRETS_REQUIRED_IN_PROD = [
  "tlsCertificate",
  "tlsPrivateKey",
  "slackWebhookUrl",
  "pagerdutyRoutingKey",
  "deadMansSwitchUrl",
] as const;

/** Reads the stack's configuration through Pulumi, or throws a ConfigError listing every problem. */
export function loadSettings(config = new pulumi.Config()): SettingValues {
  const result = validateSettings(
    (key) => config.get(key),
    (key) => new pulumi.Config(key.split(":")[0]).get(key.split(":").slice(1).join(":")),
  );
  if (result.values === undefined) {
    throw new ConfigError(result.problems, config.name);
  }
  return result.values;
}
