import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { FIXED_NAME, hardenedContainerArgs, loopbackPort, seconds } from "../docker/container";
import { stackPassword } from "../secrets";
import {
  adminPasswordUpload,
  GRAFANA_ADMIN_USER,
  GRAFANA_DATA_DIR,
  GRAFANA_IMAGE,
  GRAFANA_LOCAL_URL,
  GRAFANA_PORTS,
  grafanaEnvs,
} from "./settings";

export interface GrafanaServerArgs {
  /** Container memory limit in MB. */
  memoryMb: number;
  /** Admin password from config; empty means one is generated and kept in state. */
  adminPassword: string;
  /** The monitoring network, where Prometheus answers as `prometheus`. */
  monitoringNetwork: docker.Network;
  /** Refuse to delete the data volume (prod); it is retained on delete either way. */
  protectData: boolean;
}

/** How the Grafana provider reaches a Grafana and signs in to it. */
export interface GrafanaEndpoint {
  url: pulumi.Input<string>;
  /** `user:password` or a service-account token; always a secret. */
  auth: pulumi.Output<string>;
}

/** Grafana 11 on 127.0.0.1:3004, its database on a kept volume, signed in to only as admin. */
export class GrafanaServer extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly volume: docker.Volume;
  /** Where the provider signs in; the auth is a secret. */
  public readonly endpoint: GrafanaEndpoint;

  constructor(name: string, args: GrafanaServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:monitoring:GrafanaServer", name, {}, opts);

    const password = stackPassword(`${name}-admin-password`, args.adminPassword, this);
    this.volume = new docker.Volume(
      `${name}-data`,
      { name: `${name}-data` },
      { parent: this, protect: args.protectData, retainOnDelete: true },
    );

    this.container = new docker.Container(
      `${name}-container`,
      {
        ...hardenedContainerArgs(args.memoryMb),
        name,
        hostname: name,
        image: GRAFANA_IMAGE,
        envs: grafanaEnvs(),
        uploads: [adminPasswordUpload(password)],
        volumes: [{ volumeName: this.volume.name, containerPath: GRAFANA_DATA_DIR }],
        networksAdvanced: [{ name: args.monitoringNetwork.name, aliases: [name] }],
        ports: [loopbackPort(GRAFANA_PORTS.container, GRAFANA_PORTS.host)],
        healthcheck: {
          tests: [
            "CMD",
            "wget",
            "-q",
            "-O",
            "/dev/null",
            `http://127.0.0.1:${GRAFANA_PORTS.container}/api/health`,
          ],
          interval: seconds(15),
          timeout: seconds(5),
          retries: 3,
          startPeriod: seconds(30),
        },
        wait: true,
        waitTimeout: 120,
      },
      { parent: this, dependsOn: [this.volume], ...FIXED_NAME },
    );

    this.endpoint = {
      url: GRAFANA_LOCAL_URL,
      auth: pulumi.secret(pulumi.interpolate`${GRAFANA_ADMIN_USER}:${password}`),
    };

    this.registerOutputs({
      container: this.container.id,
      volume: this.volume.name,
      url: this.endpoint.url,
      auth: this.endpoint.auth,
    });
  }
}
