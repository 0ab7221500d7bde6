import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { firstCollision, utcMinute } from "../backup/schedule";
import { SETTINGS, Setting, SettingName, SettingValues } from "./settings";
import { parseSize } from "./sizes";

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

  if (problems.length > 0) {
    return { problems };
  }
  const checked = values as SettingValues;
  const crossProblems = [...crossCheck(checked), ...backupChecks(checked, readForeign)];
  return crossProblems.length > 0 ? { problems: crossProblems } : { values: checked, problems: [] };
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

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----/;

/** Secrets a prod stack cannot run without; dev makes its own or does without. */
export const SECRETS_REQUIRED_IN_PROD = [
  "tlsCertificate",
  "tlsPrivateKey",
  "slackWebhookUrl",
  "pagerdutyRoutingKey",
] as const;

/** Rules that involve more than one key. */
function crossCheck(v: SettingValues): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const problem = (key: SettingName, message: string) => problems.push({ key, message });
  const bytes = (text: string) => parseSize(text) ?? 0;

  const ports: [SettingName, number][] = [
    ["httpPort", v.httpPort],
    ["httpsPort", v.httpsPort],
    ["nginxStatusPort", v.nginxStatusPort],
    ["postgresAdminPort", v.postgresAdminPort],
  ];
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i][1] === ports[j][1]) {
        problem(ports[j][0], `must differ from ${ports[i][0]} (both are ${ports[i][1]})`);
      }
    }
  }

  const subnets = (["edgeSubnet", "dataSubnet", "adminSubnet", "monitoringSubnet"] as const).map(
    (key) => [key, v[key]] as const,
  );
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      if (cidrsOverlap(subnets[i][1], subnets[j][1])) {
        problem(subnets[j][0], `must not overlap ${subnets[i][0]} (${subnets[i][1]})`);
      }
    }
  }

  if (!isDigest(v.postgresTag) && !/^15([.-]|$)/.test(v.postgresTag)) {
    problem("postgresTag", `must be a PostgreSQL 15 tag such as 15-3.4 (got "${v.postgresTag}")`);
  }
  if (!isDigest(v.redisTag) && !/^7([.-]|$)/.test(v.redisTag)) {
    problem("redisTag", `must be a Redis 7 tag such as 7.2-alpine (got "${v.redisTag}")`);
  }

  if (bytes(v.postgresSharedBuffers) * 2 > bytes(v.postgresMemory)) {
    problem(
      "postgresSharedBuffers",
      `must be at most half of postgresMemory (${v.postgresMemory}); about a quarter is usual`,
    );
  }
  if (bytes(v.redisMaxMemory) * 4 > bytes(v.redisMemory) * 3) {
    problem(
      "redisMaxMemory",
      `must be at most 75% of redisMemory (${v.redisMemory}), leaving room for rewrites and forks`,
    );
  }
  if (v.backendDbPoolMax + 10 > v.postgresMaxConnections) {
    problem(
      "backendDbPoolMax",
      `must leave 10 connections of postgresMaxConnections (${v.postgresMaxConnections}) ` +
        "for admin, monitoring and reporting; raise postgresMaxConnections with it",
    );
  }

  if (v.tlsMode === "config") {
    if (!PEM_CERTIFICATE.test(v.tlsCertificate)) {
      problem("tlsCertificate", "must hold a PEM certificate chain when tlsMode is config");
    }
    if (!PEM_KEY.test(v.tlsPrivateKey)) {
      problem("tlsPrivateKey", "must hold a PEM private key when tlsMode is config");
    }
  }
  if (v.environment === "prod" && v.tlsMode === "self-signed") {
    problem("tlsMode", "must be config in prod: browsers refuse a self-signed certificate");
  }
  if (v.environment === "prod") {
    for (const key of ["slackWebhookUrl", "pagerdutyRoutingKey"] as const) {
      if (v[key] === "") {
        problem(key, "must be set in prod, or critical alerts reach nobody");
      }
    }
  }
  if (v.slackWebhookUrl !== "" && !/^https:\/\/\S+$/.test(v.slackWebhookUrl)) {
    problem("slackWebhookUrl", "must be an https:// webhook URL");
  }
  if (v.grafanaCloudUrl !== "" && !/^https:\/\/[^\s/]+\/?$/.test(v.grafanaCloudUrl)) {
    problem(
      "grafanaCloudUrl",
      `must be the https:// URL of the Grafana Cloud stack, or empty (got "${v.grafanaCloudUrl}")`,
    );
  }
  if (v.grafanaCloudUrl !== "" && v.grafanaCloudToken === "") {
    problem(
      "grafanaCloudToken",
      "must be set when grafanaCloudUrl is: the stack manages the Cloud stack's dashboards with it",
    );
  }
  if (v.grafanaCloudUrl === "" && v.grafanaCloudToken !== "") {
    problem("grafanaCloudUrl", "must be set when grafanaCloudToken is, or the token goes unused");
  }
  for (const key of ["postgresPassword", "redisPassword", "grafanaAdminPassword"] as const) {
    if (v[key] !== "" && v[key].length < 16) {
      problem(key, "must be at least 16 characters, or empty to have one generated");
    }
  }
  return problems;
}

/** The backup schedule and prod's bucket: what pgBackRest and S3 need to agree. */
function backupChecks(v: SettingValues, readForeign: ForeignReader): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const clash = firstCollision(
    v.backupFullSchedule,
    v.backupIncrementalSchedule,
    v.backupFullWindowMinutes,
  );
  if (clash !== undefined) {
    problems.push({
      key: "backupIncrementalSchedule",
      message:
        `fires at ${utcMinute(clash)}, within backupFullWindowMinutes (${v.backupFullWindowMinutes}) ` +
        `of a full backup (backupFullSchedule "${v.backupFullSchedule}"); leave those hours out, ` +
        `such as "0 0,1,3-23 * * *" beside a full at 02:00`,
    });
  }
  if (v.backupNoncurrentExpiryDays <= v.backupGlacierAfterDays) {
    problems.push({
      key: "backupNoncurrentExpiryDays",
      message:
        `must be more than backupGlacierAfterDays (${v.backupGlacierAfterDays}): replaced ` +
        "versions move to Glacier after that many days, and S3 refuses an expiry that does not " +
        "come after the move",
    });
  }
  if (v.environment === "prod") {
    if (v.backupBucket === "") {
      problems.push({
        key: "backupBucket",
        message: "must name the S3 bucket of the backups in prod",
      });
    }
    if (!readForeign("aws:region")) {
      problems.push({
        key: "aws:region",
        message: "must be set in prod, the region of the backup bucket, such as eu-west-1",
      });
    }
  }
  return problems;
}

function isDigest(tag: string): boolean {
  return tag.startsWith("sha256:");
}

function cidrsOverlap(a: string, b: string): boolean {
  const [addrA, bitsA] = ipaddr.IPv4.parseCIDR(a);
  const [addrB, bitsB] = ipaddr.IPv4.parseCIDR(b);
  const bits = Math.min(bitsA, bitsB);
  return addrA.match(addrB, bits);
}

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
