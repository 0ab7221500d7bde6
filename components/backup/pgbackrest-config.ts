import { PGDATA, REPO_PATH, S3_REPO_PATH, SECRET_ENV, SOCKET_DIR, STANZA } from "./layout";

/** Where the repository lives: a volume in dev, an S3 bucket in prod. */
export type BackupRepository =
  { type: "posix"; path?: string } | { type: "s3"; bucket: string; region: string; path?: string };

export interface PgbackrestConfigInput {
  repository: BackupRepository;
  /** Days of full backups kept (`repo1-retention-full-type=time`). */
  retentionDays: number;
  /** `process-max`. */
  processMax: number;
  /** PGDATA and the socket directory, as the backup container sees them. */
  pgPath?: string;
  socketPath?: string;
  port?: number;
}

function repositoryLines(repository: BackupRepository): string[] {
  if (repository.type === "posix") {
    return ["repo1-type=posix", `repo1-path=${repository.path ?? REPO_PATH}`];
  }
  return [
    "repo1-type=s3",
    `repo1-path=${repository.path ?? S3_REPO_PATH}`,
    `repo1-s3-bucket=${repository.bucket}`,
    `repo1-s3-endpoint=s3.${repository.region}.amazonaws.com`,
    `repo1-s3-region=${repository.region}`,
    "repo1-s3-key-type=shared",
    "repo1-s3-uri-style=host",
    "repo1-storage-verify-tls=y",
  ];
}

/**
 * pgbackrest.conf for the Postgres container (archive-push) and the backup container (backup,
 * verify, restore). It holds no secret: the cipher pass and the S3 key pair are read from
 * PGBACKREST_REPO1_CIPHER_PASS, PGBACKREST_REPO1_S3_KEY and PGBACKREST_REPO1_S3_KEY_SECRET.
 */
export function renderPgbackrestConf(input: PgbackrestConfigInput): string {
  const global = [
    ...repositoryLines(input.repository),
    // Encrypted at rest by pgBackRest itself, whatever the storage does on top.
    "repo1-cipher-type=aes-256-cbc",
    "repo1-retention-full-type=time",
    `repo1-retention-full=${input.retentionDays}`,
    // Without it a backup waits for the next scheduled checkpoint: minutes, not seconds.
    "start-fast=y",
    `process-max=${input.processMax}`,
    "compress-type=zst",
    "compress-level=3",
    // Logs go to stdout, where Docker keeps them; no log files inside the container.
    "log-level-console=info",
    "log-level-stderr=off",
    "log-level-file=off",
  ];
  const sections: [string, string[]][] = [
    ["global", global],
    // One line a minute per archived segment would bury the server's own log.
    ["global:archive-push", ["log-level-console=warn"]],
    [
      STANZA,
      [
        `pg1-path=${input.pgPath ?? PGDATA}`,
        `pg1-socket-path=${input.socketPath ?? SOCKET_DIR}`,
        `pg1-port=${input.port ?? 5432}`,
        "pg1-user=postgres",
      ],
    ],
  ];
  const secrets = Object.values(SECRET_ENV).join(", ");
  return [
    [
      "# Rendered by the waste-management stack; a deploy overwrites local edits.",
      `# Secrets come from the environment (${secrets}), never from this file.`,
    ].join("\n"),
    ...sections.map(([name, lines]) => [`[${name}]`, ...lines].join("\n")),
  ]
    .join("\n\n")
    .concat("\n");
}
