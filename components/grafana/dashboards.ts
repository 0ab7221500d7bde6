import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import { buildDashboards, dashboardJson, DATASOURCE, DashboardInput } from "../../dashboards";
import { INTERVALS } from "../monitoring/contract";
import { duration } from "../monitoring/duration";
import { publishRenderedFile } from "../rendered-files";
import { GrafanaEndpoint } from "./server";

/** The folder every dashboard of the stack lives in. */
export const DASHBOARD_FOLDER = { uid: "waste-management", title: "Waste management" } as const;

/** The Prometheus the datasource reads, as the managed Grafana reaches it. */
export interface PrometheusSource {
  /** Its query URL: the stack's Prometheus over the monitoring network, or a hosted one. */
  url: string;
  /** Basic auth of a hosted Prometheus (Grafana Cloud); the password is a secret. */
  basicAuth?: { username: string; password: pulumi.Input<string> };
  /**
   * Make it the Grafana's default datasource: in the Grafana the stack runs, yes; in a Cloud
   * stack, no, which keeps its own default.
   */
  isDefault: boolean;
}

export interface GrafanaDashboardsArgs {
  /** The Grafana to manage: the stack's own, or a Grafana Cloud stack. */
  endpoint: GrafanaEndpoint;
  /** The Prometheus its datasource reads. */
  prometheus: PrometheusSource;
  /** What the dashboards read from the configuration. */
  dashboards: DashboardInput;
  /** Resources that must exist before the provider connects (the healthy Grafana container). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The Prometheus datasource's settings: POST for long queries, the scrape interval as step. */
export function prometheusJsonData(): string {
  return JSON.stringify({ httpMethod: "POST", timeInterval: duration(INTERVALS.default) });
}

/** The datasource's inputs; a hosted Prometheus's password only ever travels as a secret. */
export function datasourceArgs(source: PrometheusSource): grafana.oss.DataSourceArgs {
  const auth = source.basicAuth;
  return {
    name: "Prometheus",
    type: DATASOURCE.type,
    uid: DATASOURCE.uid,
    url: source.url,
    accessMode: "proxy",
    ...(source.isDefault ? { isDefault: true } : {}),
    ...(auth
      ? {
          basicAuthEnabled: true,
          basicAuthUsername: auth.username,
          secureJsonDataEncoded: pulumi.secret(
            pulumi
              .output(auth.password)
              .apply((password) => JSON.stringify({ basicAuthPassword: password })),
          ),
        }
      : {}),
    jsonDataEncoded: prometheusJsonData(),
  };
}

/**
 * The stack's folder, the Prometheus datasource and the dashboards, managed through Grafana's API
 * with a provider of their own. Alerts stay in Prometheus and Alertmanager: nothing here defines
 * a Grafana alert rule.
 */
export class GrafanaDashboards extends pulumi.ComponentResource {
  public readonly folder: grafana.oss.Folder;
  public readonly datasource: grafana.oss.DataSource;
  public readonly dashboards: grafana.oss.Dashboard[];

  constructor(name: string, args: GrafanaDashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:monitoring:GrafanaDashboards", name, {}, opts);

    // The credentials only ever reach the provider as secrets, never the environment or a file.
    const provider = new grafana.Provider(
      `${name}-provider`,
      { url: args.endpoint.url, auth: args.endpoint.auth, retries: 5 },
      { parent: this, dependsOn: args.dependsOn },
    );
    const managed = { parent: this, provider };

    this.folder = new grafana.oss.Folder(
      `${name}-folder`,
      { uid: DASHBOARD_FOLDER.uid, title: DASHBOARD_FOLDER.title },
      managed,
    );
    this.datasource = new grafana.oss.DataSource(
      `${name}-prometheus`,
      datasourceArgs(args.prometheus),
      managed,
    );

    this.dashboards = buildDashboards(args.dashboards).map(({ uid, model }) => {
      const configJson = dashboardJson(model);
      publishRenderedFile({ path: `dashboards/${uid}.json`, content: configJson });
      return new grafana.oss.Dashboard(
        `${name}-${uid}`,
        { configJson, folder: this.folder.uid, overwrite: true },
        { ...managed, dependsOn: [this.datasource] },
      );
    });

    this.registerOutputs({
      folder: this.folder.uid,
      datasource: this.datasource.uid,
      dashboards: this.dashboards.map((dashboard) => dashboard.uid),
    });
  }
}
