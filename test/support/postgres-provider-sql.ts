// The Pulumi PostgreSQL provider can only run under a Pulumi engine, so this models the SQL it
// (terraform-provider-postgresql) issues for the resources the mock engine recorded.
import { RecordedResource } from "../../render/engine";
import { plainInputs } from "./program";

export const PROVIDER_TYPE = "pulumi:providers:postgresql";
export const ROLE_TYPE = "postgresql:index/role:Role";
export const DATABASE_TYPE = "postgresql:index/database:Database";
export const EXTENSION_TYPE = "postgresql:index/extension:Extension";
export const GRANT_TYPE = "postgresql:index/grant:Grant";
export const DEFAULT_PRIVILEGES_TYPE = "postgresql:index/defaultPrivileges:DefaultPrivileges";

/** Statements to run, in order, while connected to `database`. */
export interface DatabaseStatements {
  database: string;
  statements: string[];
}

/** What `pq.QuoteIdentifier` does: double quotes around, inner double quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** What `pq.QuoteLiteral` does: single quotes doubled, and an E'' string when there is a backslash. */
export function quoteLiteral(value: string): string {
  const quoted = `'${value.replace(/'/g, "''").replace(/\\/g, "\\\\")}'`;
  return value.includes("\\") ? `E${quoted}` : quoted;
}

/** The privileges each object type takes; anything else is refused, as it is pasted into SQL. */
const PRIVILEGES: Record<string, string[]> = {
  database: ["CONNECT", "CREATE", "TEMPORARY"],
  schema: ["USAGE", "CREATE"],
  table: ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
  sequence: ["USAGE", "SELECT", "UPDATE"],
};

/** A resource's plain inputs, failing on any field this model does not handle. */
class Inputs {
  private readonly values: Record<string, unknown>;

  constructor(
    private readonly resource: RecordedResource,
    understood: string[],
  ) {
    this.values = plainInputs(resource);
    const unknown = Object.keys(this.values).filter((key) => !understood.includes(key));
    if (unknown.length > 0) {
      throw new Error(
        `${resource.type} ${resource.name}: input(s) ${unknown.join(", ")} are not modelled in ` +
          "test/support/postgres-provider-sql.ts; add the SQL the provider runs for them",
      );
    }
  }

  private fail(key: string, expected: string): never {
    const got = JSON.stringify(this.values[key]);
    throw new Error(
      `${this.resource.type} ${this.resource.name}: ${key} must be ${expected}, got ${got}`,
    );
  }

  string(key: string, fallback?: string): string {
    const value = this.values[key] ?? fallback;
    return typeof value === "string" && value !== "" ? value : this.fail(key, "a non-empty string");
  }

  optionalString(key: string): string | undefined {
    return this.values[key] === undefined ? undefined : this.string(key);
  }

  integer(key: string, fallback: number): number {
    const value = this.values[key] ?? fallback;
    return Number.isInteger(value) ? (value as number) : this.fail(key, "an integer");
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.values[key] ?? fallback;
    return typeof value === "boolean" ? value : this.fail(key, "a boolean");
  }

  strings(key: string, fallback: string[]): string[] {
    const value = this.values[key] ?? fallback;
    return Array.isArray(value) && value.every((item) => typeof item === "string" && item !== "")
      ? (value as string[])
      : this.fail(key, "a list of non-empty strings");
  }

  /** The object type, one of `allowed`, and its privileges, each valid for that type. */
  privileges(allowed: string[]): { objectType: string; privileges: string[] } {
    const objectType = this.string("objectType");
    if (!allowed.includes(objectType)) {
      this.fail("objectType", `one of ${allowed.join(", ")}`);
    }
    const privileges = this.strings("privileges", []);
    if (!privileges.every((privilege) => PRIVILEGES[objectType].includes(privilege))) {
      this.fail("privileges", `some of ${PRIVILEGES[objectType].join(", ")}`);
    }
    return { objectType, privileges };
  }
}

/** The grantee as SQL: the provider's role "public" is the PUBLIC pseudo-role. */
function grantee(role: string): string {
  return role === "public" ? "PUBLIC" : quoteIdentifier(role);
}

/** CREATE ROLE with the provider's defaults spelt out, then memberships and the timeout. */
function roleSql(resource: RecordedResource): string[] {
  const inputs = new Inputs(resource, [
    "name",
    "login",
    "password",
    "connectionLimit",
    "roles",
    "statementTimeout",
  ]);
  const name = quoteIdentifier(inputs.string("name"));
  const password = inputs.optionalString("password");
  const options = [
    ...(password === undefined ? [] : ["ENCRYPTED", `PASSWORD ${quoteLiteral(password)}`]),
    "VALID UNTIL 'infinity'",
    `CONNECTION LIMIT ${inputs.integer("connectionLimit", -1)}`,
    "NOSUPERUSER",
    "NOCREATEDB",
    "NOCREATEROLE",
    "INHERIT",
    inputs.boolean("login", false) ? "LOGIN" : "NOLOGIN",
    "NOBYPASSRLS",
    "NOREPLICATION",
  ];
  const statements = [`CREATE ROLE ${name} WITH ${options.join(" ")}`];
  for (const member of inputs.strings("roles", [])) {
    statements.push(`GRANT ${quoteIdentifier(member)} TO ${name}`);
  }
  // The provider sets the timeout only when it is not zero, in milliseconds.
  const timeout = inputs.integer("statementTimeout", 0);
  if (timeout < 0) {
    throw new Error(`${resource.type} ${resource.name}: statementTimeout must not be negative`);
  }
  if (timeout > 0) {
    statements.push(`ALTER ROLE ${name} SET statement_timeout TO ${timeout}`);
  }
  return statements;
}

function databaseSql(resource: RecordedResource, providerUser: string): string {
  const inputs = new Inputs(resource, ["name", "owner", "encoding", "template"]);
  return [
    `CREATE DATABASE ${quoteIdentifier(inputs.string("name"))}`,
    `OWNER ${quoteIdentifier(inputs.string("owner", providerUser))}`,
    `TEMPLATE ${quoteIdentifier(inputs.string("template", "template0"))}`,
    `ENCODING ${quoteLiteral(inputs.string("encoding", "UTF8"))}`,
    "ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false",
  ].join(" ");
}

function extensionSql(resource: RecordedResource, providerDatabase: string): DatabaseStatements {
  const inputs = new Inputs(resource, ["name", "database", "schema"]);
  const schema = inputs.optionalString("schema");
  const statement = `CREATE EXTENSION IF NOT EXISTS ${quoteIdentifier(inputs.string("name"))}`;
  return {
    database: inputs.string("database", providerDatabase),
    statements: [
      schema === undefined ? statement : `${statement} SCHEMA ${quoteIdentifier(schema)}`,
    ],
  };
}

/** The provider revokes everything first, so a grant also takes away what it no longer lists. */
function grantSql(resource: RecordedResource): DatabaseStatements {
  const inputs = new Inputs(resource, ["database", "role", "objectType", "privileges", "schema"]);
  const database = inputs.string("database");
  const role = grantee(inputs.string("role"));
  const { objectType, privileges } = inputs.privileges(["database", "schema", "table", "sequence"]);
  let target: string;
  if (objectType === "database") {
    if (inputs.optionalString("schema") !== undefined) {
      throw new Error(`${resource.type} ${resource.name}: a database grant takes no schema`);
    }
    target = `DATABASE ${quoteIdentifier(database)}`;
  } else if (objectType === "schema") {
    target = `SCHEMA ${quoteIdentifier(inputs.string("schema"))}`;
  } else {
    const kind = objectType === "table" ? "TABLES" : "SEQUENCES";
    target = `ALL ${kind} IN SCHEMA ${quoteIdentifier(inputs.string("schema"))}`;
  }
  const statements = [`REVOKE ALL PRIVILEGES ON ${target} FROM ${role}`];
  if (privileges.length > 0) {
    statements.push(`GRANT ${privileges.join(",")} ON ${target} TO ${role}`);
  }
  return { database, statements };
}

function defaultPrivilegesSql(resource: RecordedResource): DatabaseStatements {
  const inputs = new Inputs(resource, [
    "database",
    "owner",
    "role",
    "schema",
    "objectType",
    "privileges",
  ]);
  const { objectType, privileges } = inputs.privileges(["table", "sequence"]);
  const schema = inputs.optionalString("schema");
  const scope = [
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdentifier(inputs.string("owner"))}`,
    ...(schema === undefined ? [] : [`IN SCHEMA ${quoteIdentifier(schema)}`]),
  ].join(" ");
  const objects = objectType === "table" ? "TABLES" : "SEQUENCES";
  const role = grantee(inputs.string("role"));
  const statements = [`${scope} REVOKE ALL ON ${objects} FROM ${role}`];
  if (privileges.length > 0) {
    statements.push(`${scope} GRANT ${privileges.join(",")} ON ${objects} TO ${role}`);
  }
  return { database: inputs.string("database"), statements };
}

/** Appends statements, merging them into the last group when it runs in the same database. */
function append(groups: DatabaseStatements[], next: DatabaseStatements): void {
  const last = groups[groups.length - 1];
  if (last?.database === next.database) {
    last.statements.push(...next.statements);
  } else {
    groups.push({ database: next.database, statements: [...next.statements] });
  }
}

/**
 * The SQL the PostgreSQL provider runs for the recorded resources, grouped by the database it
 * connects to, in dependency order: roles and databases from the provider's own database, then in
 * each target database its extensions, grants and default privileges. Fails on any PostgreSQL
 * resource type or input it does not model, so a change in access.ts cannot be skipped silently.
 */
export function providerSql(resources: RecordedResource[]): DatabaseStatements[] {
  const providers = resources.filter((r) => r.type === PROVIDER_TYPE);
  if (providers.length !== 1) {
    throw new Error(`expected one ${PROVIDER_TYPE}, found ${providers.length}`);
  }
  const provider = plainInputs(providers[0]);
  // The provider's own defaults when access.ts leaves these out.
  const providerDatabase = typeof provider.database === "string" ? provider.database : "postgres";
  const providerUser = typeof provider.username === "string" ? provider.username : "postgres";

  const modelled = [ROLE_TYPE, DATABASE_TYPE, EXTENSION_TYPE, GRANT_TYPE, DEFAULT_PRIVILEGES_TYPE];
  const unknown = resources.filter(
    (r) => r.type.startsWith("postgresql:") && !modelled.includes(r.type),
  );
  if (unknown.length > 0) {
    const names = unknown.map((r) => `${r.type} ${r.name}`).join(", ");
    throw new Error(`no SQL is modelled for ${names}; add it to postgres-provider-sql.ts`);
  }
  const ofType = (type: string) => resources.filter((r) => r.type === type);

  const groups: DatabaseStatements[] = [];
  append(groups, {
    database: providerDatabase,
    statements: [
      ...ofType(ROLE_TYPE).flatMap(roleSql),
      ...ofType(DATABASE_TYPE).map((r) => databaseSql(r, providerUser)),
    ],
  });
  const perDatabase = [
    ...ofType(EXTENSION_TYPE).map((r) => extensionSql(r, providerDatabase)),
    ...ofType(GRANT_TYPE).map(grantSql),
    ...ofType(DEFAULT_PRIVILEGES_TYPE).map(defaultPrivilegesSql),
  ];
  const databases = [...new Set(perDatabase.map((group) => group.database))];
  for (const database of databases) {
    for (const group of perDatabase.filter((g) => g.database === database)) {
      append(groups, group);
    }
  }
  return groups;
}
