import * as ipaddr from "ipaddr.js";
import { firstCollision, utcMinute } from "../backup/schedule";
import { isDigest, LOOPBACK } from "../docker/container";
import { FIXED_HOST_PORTS } from "../host-ports";
import {
  APP_ROLE_HEADROOM,
  connectionsNeeded,
  roleConnectionLimits,
  SUPERUSER_RESERVED_CONNECTIONS,
} from "../postgres/connections";
import { GRAFANA_CLOUD_KEYS, grafanaCloudChecks } from "./grafana-cloud";
import type { ConfigProblem, ForeignReader } from "./load";
import type { SettingName, SettingValues } from "./settings";
import { sizeBytes } from "./sizes";

/**
 * What the rules across keys find among the keys that parsed. The rules run in a fixed order, and
 * that order is the order of the report.
 */
export function crossKeyProblems(
  parsed: Partial<SettingValues>,
  readForeign: ForeignReader,
): ConfigProblem[] {
  const rules = new CrossKeyRules(parsed);
  crossCheck(rules);
  rules.when(GRAFANA_CLOUD_KEYS, (cloud) => {
    for (const { key, message } of grafanaCloudChecks(cloud)) {
      rules.problem(key, message);
    }
  });
  backupChecks(rules, readForeign);
  return rules.problems;
}

/**
 * The rules that involve more than one key. Each rule names the keys it reads and runs only when
 * all of them parsed: a key that failed on its own is already reported, and a rule fed a default
 * in its place would report a problem that is not there.
 */
class CrossKeyRules {
  readonly problems: ConfigProblem[] = [];

  constructor(private readonly parsed: Partial<SettingValues>) {}

  /** Runs `rule` with the values of `keys`, if every one of them parsed. */
  when<K extends SettingName>(keys: readonly K[], rule: (values: Pick<SettingValues, K>) => void) {
    if (keys.every((key) => key in this.parsed)) {
      rule(this.parsed as Pick<SettingValues, K>);
    }
  }

  /** The keys among `keys` that parsed, with their values, in the order given. */
  parsedOf<K extends SettingName>(keys: readonly K[]): [K, SettingValues[K]][] {
    return keys
      .filter((key) => key in this.parsed)
      .map((key) => [key, this.parsed[key] as SettingValues[K]]);
  }

  problem(key: string, message: string): void {
    this.problems.push({ key, message });
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----/;

/** Rules that involve more than one key. */
function crossCheck(rules: CrossKeyRules): void {
  const problem = rules.problem.bind(rules);
  const bytes = sizeBytes;

  const ports = rules.parsedOf([
    "httpPort",
    "httpsPort",
    "nginxStatusPort",
    "postgresAdminPort",
  ] as const);
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i][1] === ports[j][1]) {
        problem(ports[j][0], `must differ from ${ports[i][0]} (both are ${ports[i][1]})`);
      }
    }
  }
  // nginx's public ports bind every interface, loopback included, so they clash with these too.
  rules.when(["grafanaCloudUrl"], ({ grafanaCloudUrl }) => {
    const fixed = Object.entries(FIXED_HOST_PORTS).filter(
      ([holder]) => holder !== "grafana" || grafanaCloudUrl === "",
    );
    for (const [key, port] of ports) {
      for (const [holder, taken] of fixed) {
        if (port === taken) {
          problem(key, `must not be ${port}: the stack publishes ${holder} on ${LOOPBACK}:${port}`);
        }
      }
    }
  });

  const subnets = rules.parsedOf([
    "edgeSubnet",
    "dataSubnet",
    "adminSubnet",
    "monitoringSubnet",
  ] as const);
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      if (cidrsOverlap(subnets[i][1], subnets[j][1])) {
        problem(subnets[j][0], `must not overlap ${subnets[i][0]} (${subnets[i][1]})`);
      }
    }
  }

  rules.when(["postgresTag"], ({ postgresTag }) => {
    if (!isDigest(postgresTag) && !/^15([.-]|$)/.test(postgresTag)) {
      problem("postgresTag", `must be a PostgreSQL 15 tag such as 15-3.4 (got "${postgresTag}")`);
    }
  });
  rules.when(["redisTag"], ({ redisTag }) => {
    if (!isDigest(redisTag) && !/^7([.-]|$)/.test(redisTag)) {
      problem("redisTag", `must be a Redis 7 tag such as 7.2-alpine (got "${redisTag}")`);
    }
  });

  rules.when(["postgresSharedBuffers", "postgresMemory"], (v) => {
    if (bytes(v.postgresSharedBuffers) * 2 > bytes(v.postgresMemory)) {
      problem(
        "postgresSharedBuffers",
        `must be at most half of postgresMemory (${v.postgresMemory}); about a quarter is usual`,
      );
    }
  });
  rules.when(["redisMaxMemory", "redisMemory"], (v) => {
    if (bytes(v.redisMaxMemory) * 4 > bytes(v.redisMemory) * 3) {
      problem(
        "redisMaxMemory",
        `must be at most 75% of redisMemory (${v.redisMemory}), leaving room for rewrites and forks`,
      );
    }
  });
  rules.when(["backendDbPoolMax", "postgresMaxConnections"], (v) => {
    const needed = connectionsNeeded(v.backendDbPoolMax);
    if (needed > v.postgresMaxConnections) {
      const limits = roleConnectionLimits(v.backendDbPoolMax);
      problem(
        "backendDbPoolMax",
        `needs postgresMaxConnections of at least ${needed} (it is ${v.postgresMaxConnections}): ` +
          `the app role's limit of ${limits.app} (pool ${v.backendDbPoolMax} + ${APP_ROLE_HEADROOM}), ` +
          `the reporting role's ${limits.reporting}, the monitoring role's ${limits.monitoring} ` +
          `and ${SUPERUSER_RESERVED_CONNECTIONS} superuser_reserved_connections; ` +
          "raise postgresMaxConnections or lower backendDbPoolMax",
      );
    }
  });

  rules.when(["tlsMode", "tlsCertificate", "tlsPrivateKey"], (v) => {
    if (v.tlsMode === "config") {
      if (!PEM_CERTIFICATE.test(v.tlsCertificate)) {
        problem("tlsCertificate", "must hold a PEM certificate chain when tlsMode is config");
      }
      if (!PEM_KEY.test(v.tlsPrivateKey)) {
        problem("tlsPrivateKey", "must hold a PEM private key when tlsMode is config");
      }
    }
  });
  rules.when(["environment", "tlsMode"], (v) => {
    if (v.environment === "prod" && v.tlsMode === "self-signed") {
      problem("tlsMode", "must be config in prod: browsers refuse a self-signed certificate");
    }
  });
  for (const key of ["slackWebhookUrl", "pagerdutyRoutingKey"] as const) {
    rules.when(["environment", key], (v) => {
      if (v.environment === "prod" && v[key] === "") {
        problem(key, "must be set in prod, or critical alerts reach nobody");
      }
    });
  }
  rules.when(["environment", "runbookUrl"], ({ environment, runbookUrl }) => {
    if (environment === "prod" && !isAbsoluteHttps(runbookUrl)) {
      problem(
        "runbookUrl",
        "must be an absolute https:// URL in prod, such as " +
          "https://git.example.com/team/repo/-/blob/main/docs/runbook.md: a relative link in a " +
          `page or a Slack message opens nothing (got "${runbookUrl}")`,
      );
    }
  });
  rules.when(["environment", "deadMansSwitchUrl"], (v) => {
    if (v.environment === "prod" && v.deadMansSwitchUrl === "") {
      problem(
        "deadMansSwitchUrl",
        "must be set in prod, or nobody is paged when the host or its monitoring dies",
      );
    }
  });
  rules.when(["slackWebhookUrl"], ({ slackWebhookUrl }) => {
    if (slackWebhookUrl !== "" && !/^https:\/\/\S+$/.test(slackWebhookUrl)) {
      problem("slackWebhookUrl", "must be an https:// webhook URL");
    }
  });
  rules.when(["deadMansSwitchUrl"], ({ deadMansSwitchUrl }) => {
    if (deadMansSwitchUrl !== "" && !/^https:\/\/\S+$/.test(deadMansSwitchUrl)) {
      problem("deadMansSwitchUrl", "must be the https:// ping URL of the heartbeat check");
    }
  });
  for (const [key, password] of rules.parsedOf([
    "postgresPassword",
    "redisPassword",
    "grafanaAdminPassword",
  ] as const)) {
    if (password !== "" && password.length < 16) {
      problem(key, "must be at least 16 characters, or empty to have one generated");
    }
  }
}

/** The backup schedule and prod's bucket: what pgBackRest and S3 need to agree. */
function backupChecks(rules: CrossKeyRules, readForeign: ForeignReader): void {
  rules.when(
    ["backupFullSchedule", "backupIncrementalSchedule", "backupFullWindowMinutes"],
    (v) => {
      const clash = firstCollision(
        v.backupFullSchedule,
        v.backupIncrementalSchedule,
        v.backupFullWindowMinutes,
      );
      if (clash !== undefined) {
        rules.problem(
          "backupIncrementalSchedule",
          `fires at ${utcMinute(clash)}, within backupFullWindowMinutes (${v.backupFullWindowMinutes}) ` +
            `of a full backup (backupFullSchedule "${v.backupFullSchedule}"); leave those hours out, ` +
            `such as "0 0,1,3-23 * * *" beside a full at 02:00`,
        );
      }
    },
  );
  rules.when(["backupNoncurrentExpiryDays", "backupGlacierAfterDays"], (v) => {
    if (v.backupNoncurrentExpiryDays <= v.backupGlacierAfterDays) {
      rules.problem(
        "backupNoncurrentExpiryDays",
        `must be more than backupGlacierAfterDays (${v.backupGlacierAfterDays}): replaced ` +
          "versions move to Glacier after that many days, and S3 refuses an expiry that does not " +
          "come after the move",
      );
    }
  });
  rules.when(["environment", "backupBucket"], (v) => {
    if (v.environment === "prod" && v.backupBucket === "") {
      rules.problem("backupBucket", "must name the S3 bucket of the backups in prod");
    }
  });
  rules.when(["environment"], ({ environment }) => {
    if (environment === "prod" && !readForeign("aws:region")) {
      rules.problem(
        "aws:region",
        "must be set in prod, the region of the backup bucket, such as eu-west-1",
      );
    }
  });
}

function isAbsoluteHttps(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" && url.hostname !== "";
  } catch {
    return false;
  }
}

function cidrsOverlap(a: string, b: string): boolean {
  const [addrA, bitsA] = ipaddr.IPv4.parseCIDR(a);
  const [addrB, bitsB] = ipaddr.IPv4.parseCIDR(b);
  const bits = Math.min(bitsA, bitsB);
  return addrA.match(addrB, bits);
}
