import { ResourceValidationPolicy } from "@pulumi/policy";
import {
  commandSetting,
  ContainerProps,
  onLoopback,
  uploadedFile,
  validateContainer,
} from "./containers-view";

interface DatabaseConfig {
  /** Words in an image's repository that make its container a data store. */
  databaseImages: string[];
}

export const DATABASE_DEFAULTS: DatabaseConfig = {
  databaseImages: ["postgres", "postgis", "redis"],
};

/**
 * Whether a container runs Postgres or Redis: by its command, which holds even for an image the
 * stack built and runs by its ID, or by the words of its image's repository.
 */
function isDataStore(props: ContainerProps, words: string[]): boolean {
  if (["postgres", "redis-server"].includes(props.command?.[0] ?? "")) {
    return true;
  }
  const repository = (props.image ?? "").split("@")[0].replace(/:[^/:]*$/, "");
  return !repository.includes("exporter") && words.some((word) => repository.includes(word));
}

const OPEN_ADDRESSES = ["all", "0.0.0.0/0", "::/0", "0.0.0.0/0.0.0.0"];

/** The pg_hba.conf lines that let a network client in without a password, or from anywhere. */
export function openHbaLines(hba: string): string[] {
  return hba
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim().replace(/\s+/g, " "))
    .filter((line) => /^host/.test(line))
    .filter((line) => {
      const fields = line.split(/\s+/);
      const method = fields[fields.length - 1];
      return method === "trust" || (OPEN_ADDRESSES.includes(fields[3]) && method !== "reject");
    });
}

// What a client without a password may run: a health check's PING, and logging in.
const PASSWORDLESS_COMMANDS = ["+ping", "+auth", "+hello"];

/** Why a Redis configuration lets clients in without a password, or undefined when it does not. */
export function openRedisReason(props: ContainerProps, redisConf: string): string | undefined {
  const setting = (name: string) =>
    redisConf
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .find((words) => words[0] === name)?.[1];
  const aclFile = setting("aclfile");
  if (aclFile === undefined) {
    return setting("requirepass") === undefined
      ? "sets neither an aclfile nor requirepass, so the default user needs no password"
      : undefined;
  }
  const acl = uploadedFile(props, aclFile);
  if (acl === undefined) {
    return `reads its users from ${aclFile}, which the stack does not upload`;
  }
  const defaultUser = acl.split("\n").find((line) => /^user\s+default(\s|$)/.test(line.trim()));
  if (defaultUser === undefined) {
    return `leaves the default user out of ${aclFile}, so Redis lets it in without a password`;
  }
  const rules = defaultUser.trim().split(/\s+/).slice(2);
  if (!rules.includes("on") || !rules.includes("nopass")) {
    return undefined;
  }
  const grants = rules.filter(
    (rule) =>
      rule === "allcommands" ||
      rule === "allkeys" ||
      /^[~%]/.test(rule) ||
      (rule.startsWith("+") && !PASSWORDLESS_COMMANDS.includes(rule)),
  );
  return grants.length === 0
    ? undefined
    : `lets the default user of ${aclFile} have ${grants.join(" ")} without a password`;
}

/** A `name = 'value'` setting of a postgresql.conf. */
function postgresSetting(conf: string, name: string): string | undefined {
  const match = new RegExp(`^\\s*${name}\\s*=\\s*'?([^'\\n#]*)'?`, "m").exec(conf);
  return match?.[1].trim();
}

/** What a Postgres container's access rules break, when the container runs Postgres. */
function postgresProblems(props: ContainerProps): string[] {
  if (props.command?.[0] !== "postgres") {
    return [];
  }
  const confPath = commandSetting(props, "config_file");
  const conf = confPath === undefined ? undefined : uploadedFile(props, confPath);
  const hbaPath = conf === undefined ? undefined : postgresSetting(conf, "hba_file");
  const hba = hbaPath === undefined ? undefined : uploadedFile(props, hbaPath);
  if (hba === undefined) {
    return [
      "runs Postgres without a pg_hba.conf from the stack, so the image's own access rules apply; " +
        "upload one and name it in hba_file",
    ];
  }
  return openHbaLines(hba).map(
    (line) =>
      `${hbaPath} has "${line}"; network clients must use scram-sha-256 from the stack's own subnets`,
  );
}

/** What a Redis container's configuration breaks, when the container runs Redis. */
function redisProblems(props: ContainerProps): string[] {
  if (props.command?.[0] !== "redis-server") {
    return [];
  }
  const confPath = props.command[1];
  const conf = confPath === undefined ? undefined : uploadedFile(props, confPath);
  if (conf === undefined) {
    return ["runs Redis without a redis.conf from the stack, so no client needs a password"];
  }
  const reason = openRedisReason(props, conf);
  return reason === undefined
    ? []
    : [`${confPath} ${reason}; give the default user no more than PING, or turn it off`];
}

export const noExposedDatabases: ResourceValidationPolicy = {
  name: "no-exposed-databases",
  description:
    "Postgres and Redis publish no port beyond the host's loopback, Postgres lets no network " +
    "client in without a password or from any address, and Redis asks every client for one.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      databaseImages: {
        type: "array",
        items: { type: "string" },
        default: DATABASE_DEFAULTS.databaseImages,
      },
    },
  },
  validateResource: validateContainer((props, name, reportViolation, args) => {
    const { databaseImages } = { ...DATABASE_DEFAULTS, ...args.getConfig<DatabaseConfig>() };
    if (isDataStore(props, databaseImages)) {
      for (const port of (props.ports ?? []).filter((p) => !onLoopback(p))) {
        reportViolation(
          `Data store ${name} publishes port ${port.internal} on ${port.ip ?? "every interface"}; ` +
            'publish it on ip "127.0.0.1" only.',
        );
      }
    }
    for (const problem of [...postgresProblems(props), ...redisProblems(props)]) {
      reportViolation(`Container ${name}: ${problem}.`);
    }
  }),
};
