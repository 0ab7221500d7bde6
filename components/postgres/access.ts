import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { stackPassword } from "../secrets";
import { roleConnectionLimits } from "./connections";

/** The application's database; the runbook and the backend both use this name. */
export const DATABASE_NAME = "waste_management";

/** Role names, fixed because operators type them in the runbook's psql sessions. */
export const ROLES = {
  app: "waste_app",
  reporting: "waste_reporting",
  monitoring: "waste_monitoring",
} as const;

export interface DatabaseAccessArgs {
  /** Where the provider reaches the server from the Docker host. */
  adminEndpoint: pulumi.Input<{ host: string; port: number }>;
  /** Superuser password (secret). */
  superuserPassword: pulumi.Input<string>;
  /** The backend's pool size; the app role's connection limit leaves it a little headroom. */
  appPoolMax: number;
  /** Resources that must exist before the provider connects (the healthy server). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The database, its extensions and three roles of least privilege: the backend's role owns what
 * it creates in `public`, the reporting role only reads, and the monitoring role only sees
 * statistics through pg_monitor.
 */
export class DatabaseAccess extends pulumi.ComponentResource {
  public readonly database: postgresql.Database;
  public readonly appPassword: pulumi.Output<string>;
  public readonly reportingPassword: pulumi.Output<string>;
  public readonly monitoringPassword: pulumi.Output<string>;

  constructor(name: string, args: DatabaseAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:database:DatabaseAccess", name, {}, opts);

    const endpoint = pulumi.output(args.adminEndpoint);
    const provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: endpoint.host,
        port: endpoint.port,
        username: "postgres",
        password: args.superuserPassword,
        database: "postgres",
        sslmode: "disable",
        superuser: true,
        expectedVersion: "15",
        connectTimeout: 30,
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    const child = { parent: this, provider };
    const limits = roleConnectionLimits(args.appPoolMax);

    this.appPassword = stackPassword(`${name}-app-password`, "", this);
    this.reportingPassword = stackPassword(`${name}-reporting-password`, "", this);
    this.monitoringPassword = stackPassword(`${name}-monitoring-password`, "", this);

    const app = new postgresql.Role(
      `${name}-app`,
      {
        name: ROLES.app,
        login: true,
        password: this.appPassword,
        connectionLimit: limits.app,
      },
      child,
    );
    const reporting = new postgresql.Role(
      `${name}-reporting`,
      {
        name: ROLES.reporting,
        login: true,
        password: this.reportingPassword,
        connectionLimit: limits.reporting,
        // A runaway report must not hold locks the app waits on.
        statementTimeout: 300000,
      },
      child,
    );
    const monitoring = new postgresql.Role(
      `${name}-monitoring`,
      {
        name: ROLES.monitoring,
        login: true,
        password: this.monitoringPassword,
        roles: ["pg_monitor"],
        connectionLimit: limits.monitoring,
      },
      child,
    );

    this.database = new postgresql.Database(
      `${name}-database`,
      { name: DATABASE_NAME, owner: "postgres", encoding: "UTF8", template: "template0" },
      child,
    );
    const onDatabase = { ...child, dependsOn: [this.database] };

    const extensions = ["postgis", "pg_stat_statements"].map(
      (extension) =>
        new postgresql.Extension(
          `${name}-${extension.replace(/_/g, "-")}`,
          { name: extension, database: DATABASE_NAME, schema: "public" },
          onDatabase,
        ),
    );
    const afterSetup = (...roles: postgresql.Role[]) => ({
      ...child,
      dependsOn: [this.database, ...extensions, ...roles],
    });

    // Nobody connects by default, not even to the maintenance database; each role is granted
    // exactly what it needs below.
    for (const [suffix, database] of [
      ["public-revoke", DATABASE_NAME],
      ["public-revoke-maintenance", "postgres"],
    ]) {
      new postgresql.Grant(
        `${name}-${suffix}`,
        { database, role: "public", objectType: "database", privileges: [] },
        afterSetup(),
      );
    }

    const grants: [string, postgresql.Role, Omit<postgresql.GrantArgs, "database" | "role">][] = [
      ["app-connect", app, { objectType: "database", privileges: ["CONNECT", "TEMPORARY"] }],
      [
        "app-schema",
        app,
        { objectType: "schema", schema: "public", privileges: ["USAGE", "CREATE"] },
      ],
      ["reporting-connect", reporting, { objectType: "database", privileges: ["CONNECT"] }],
      [
        "reporting-schema",
        reporting,
        { objectType: "schema", schema: "public", privileges: ["USAGE"] },
      ],
      [
        "reporting-tables",
        reporting,
        { objectType: "table", schema: "public", privileges: ["SELECT"] },
      ],
      ["monitoring-connect", monitoring, { objectType: "database", privileges: ["CONNECT"] }],
    ];
    for (const [suffix, role, grant] of grants) {
      new postgresql.Grant(
        `${name}-${suffix}`,
        { database: DATABASE_NAME, role: role.name, ...grant },
        afterSetup(role),
      );
    }

    // Tables the backend creates later are readable by reporting without another deploy. This
    // holds for objects waste_app creates, so the backend must run its migrations as waste_app.
    for (const objectType of ["table", "sequence"]) {
      new postgresql.DefaultPrivileges(
        `${name}-reporting-default-${objectType}s`,
        {
          database: DATABASE_NAME,
          owner: app.name,
          role: reporting.name,
          schema: "public",
          objectType,
          privileges: ["SELECT"],
        },
        afterSetup(app, reporting),
      );
    }

    this.registerOutputs({
      database: this.database.name,
      appPassword: this.appPassword,
      reportingPassword: this.reportingPassword,
      monitoringPassword: this.monitoringPassword,
    });
  }
}
