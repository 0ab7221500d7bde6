import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  FIXED_NAME,
  hardenedContainerArgs,
  imageRef,
  loopbackPort,
  seconds,
} from "../docker/container";

export interface WebServiceArgs {
  /** Image repository. */
  image: string;
  /** Image tag or sha256 digest; never `latest`. */
  tag: string;
  /** Container memory limit in MB. */
  memoryMb: number;
  /** Port the service listens on, inside the container and on the host's 127.0.0.1. */
  port: number;
  /** Path of the health endpoint probed by Docker. */
  healthPath: string;
  /** Seconds the health endpoint has to answer (the runbook's health-check table). */
  healthTimeoutSeconds: number;
  /** Environment; values derived from secrets stay secret. */
  env: Record<string, pulumi.Input<string>>;
  /** Networks the container joins, with the name others reach it by. */
  networks: docker.Network[];
}

/**
 * The health probe runs Node itself, which every image of a Node service has, instead of curl or
 * wget, which slim images often lack.
 */
export function nodeHealthProbe(port: number, path: string): string[] {
  const url = `http://127.0.0.1:${port}${path}`;
  const script = `fetch('${url}').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
  return ["CMD", "node", "-e", script];
}

/** A Node web service of the product (backend API or frontend), published on loopback only. */
export class WebService extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  /** Host name of the service on its networks. */
  public readonly host: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;

  constructor(name: string, args: WebServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:app:WebService", name, {}, opts);

    const env = { NODE_ENV: "production", PORT: String(args.port), ...args.env };
    this.container = new docker.Container(
      `${name}-container`,
      {
        ...hardenedContainerArgs(args.memoryMb),
        name,
        hostname: name,
        image: imageRef(args.image, args.tag),
        envs: pulumi.all(
          Object.entries(env).map(([key, value]) => pulumi.interpolate`${key}=${value}`),
        ),
        networksAdvanced: args.networks.map((network) => ({ name: network.name, aliases: [name] })),
        ports: [loopbackPort(args.port, args.port)],
        healthcheck: {
          tests: nodeHealthProbe(args.port, args.healthPath),
          interval: seconds(15),
          timeout: seconds(args.healthTimeoutSeconds),
          retries: 3,
          startPeriod: seconds(30),
        },
        stopTimeout: 30,
        wait: true,
        waitTimeout: 180,
      },
      { parent: this, ...FIXED_NAME },
    );

    this.host = pulumi.output(name);
    this.port = pulumi.output(args.port);
    this.registerOutputs({ container: this.container.id, host: this.host, port: this.port });
  }
}
