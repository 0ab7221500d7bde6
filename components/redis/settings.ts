import { createHash } from "node:crypto";

/** Paths and port inside the Redis container. */
export const REDIS_CONFIG_FILE = "/usr/local/etc/redis/redis.conf";
export const REDIS_ACL_FILE = "/usr/local/etc/redis/users.acl";
export const REDIS_PORT = 6379;

/** The user the backend authenticates as. */
export const REDIS_APP_USER = "waste_app";

export interface RedisSettingsInput {
  maxMemoryBytes: number;
  evictionPolicy: string;
}

/**
 * redis.conf: AOF every second on top of RDB snapshots, memory capped with the configured eviction
 * policy, and users defined in the ACL file rather than `requirepass`, so passwords stay out of
 * this file and each client gets only the commands it needs.
 */
export function renderRedisConf(input: RedisSettingsInput): string {
  const sections: [string, string[]][] = [
    [
      "Network: reachable only on the internal data network; the ACL guards every command",
      ["bind * -::*", `port ${REDIS_PORT}`, "protected-mode no", "tcp-keepalive 60", "timeout 0"],
    ],
    ["Users", [`aclfile ${REDIS_ACL_FILE}`]],
    [
      "Memory",
      [
        // Plain bytes: Redis reads "1k" as 1000 but "1kb" as 1024, and bytes leave no doubt.
        `maxmemory ${input.maxMemoryBytes}`,
        `maxmemory-policy ${input.evictionPolicy}`,
      ],
    ],
    [
      "Persistence: AOF fsynced every second, RDB snapshots for backups",
      [
        "dir /data",
        "appendonly yes",
        'appendfilename "appendonly.aof"',
        'appenddirname "appendonlydir"',
        "appendfsync everysec",
        "aof-use-rdb-preamble yes",
        "auto-aof-rewrite-percentage 100",
        "auto-aof-rewrite-min-size 64mb",
        "save 3600 1 300 100 60 10000",
        "dbfilename dump.rdb",
        "rdbcompression yes",
        "rdbchecksum yes",
        "stop-writes-on-bgsave-error yes",
      ],
    ],
    [
      "Diagnostics",
      [
        "loglevel notice",
        'logfile ""',
        "slowlog-log-slower-than 10000",
        "slowlog-max-len 256",
        "latency-monitor-threshold 100",
      ],
    ],
  ];
  const body = sections.map(([title, lines]) => [`# ${title}`, ...lines].join("\n"));
  return ["# Rendered by the waste-management stack; a deploy overwrites local edits.", ...body]
    .join("\n\n")
    .concat("\n");
}

function passwordHash(password: string): string {
  return `#${createHash("sha256").update(password).digest("hex")}`;
}

/** The user the metrics exporter authenticates as. */
export const REDIS_MONITORING_USER = "waste_monitoring";

export interface RedisAclInput {
  appPassword: string;
  monitoringPassword: string;
  /** The backup job's password; without it the backup user is left out. */
  backupPassword?: string;
}

/** The user the backup job authenticates as: BGSAVE, LASTSAVE and INFO, no key access. */
export const REDIS_BACKUP_USER = "waste_backup";
const BACKUP_COMMANDS = "+ping +bgsave +lastsave +info";

// What redis_exporter runs: server facts, the slow log and latency, and key sizes it samples.
const MONITORING_COMMANDS = [
  "+@connection",
  "+info",
  "+ping",
  "+config|get",
  "+client|list",
  "+slowlog",
  "+latency",
  "+cluster|info",
  "+memory|usage",
  "+scan",
  "+type",
  "+strlen",
  "+llen",
  "+scard",
  "+zcard",
  "+hlen",
  "+xlen",
  "+pfcount",
].join(" ");

/**
 * users.acl: unauthenticated clients may only PING (the container health check), the backend may
 * run everything but the dangerous commands (FLUSHALL, CONFIG, KEYS, DEBUG…) except
 * INFO, which client libraries send as their ready check; the exporter may only read server facts
 * and the slow log. Passwords are stored
 * as SHA-256 hashes.
 */
export function renderRedisAcl(input: RedisAclInput): string {
  return [
    "user default on nopass resetkeys resetchannels -@all +ping",
    `user ${REDIS_APP_USER} on ${passwordHash(input.appPassword)} ~* &* +@all -@dangerous +info`,
    `user ${REDIS_MONITORING_USER} on ${passwordHash(input.monitoringPassword)} ~* -@all ${MONITORING_COMMANDS}`,
    ...(input.backupPassword === undefined
      ? []
      : [
          `user ${REDIS_BACKUP_USER} on ${passwordHash(input.backupPassword)} resetkeys resetchannels -@all ${BACKUP_COMMANDS}`,
        ]),
    "",
  ].join("\n");
}
