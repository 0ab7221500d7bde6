import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface StackNetworksArgs {
  /** Subnet of the app tier: nginx, frontend, backend. */
  edgeSubnet: string;
  /** Subnet of the data tier: Postgres, Redis and the containers allowed to reach them. */
  dataSubnet: string;
  /** Subnet that only carries Postgres's loopback-published admin port. */
  adminSubnet: string;
  /** Subnet of Prometheus, Alertmanager and the exporters; Alertmanager needs a route out. */
  monitoringSubnet: string;
}

/**
 * The stack's private networks. The data tier is `internal`: no route out and no published
 * ports, so Postgres and Redis are reachable only by containers attached to it (the backend and
 * the exporters). Monitoring has its own network, which exporters share with what they watch.
 * Docker does not publish ports of an internal network, so Postgres's admin
 * port, which the Pulumi PostgreSQL provider uses, rides on a separate network no other
 * container joins.
 */
export class StackNetworks extends pulumi.ComponentResource {
  public readonly edge: docker.Network;
  public readonly data: docker.Network;
  public readonly admin: docker.Network;
  public readonly monitoring: docker.Network;

  constructor(name: string, args: StackNetworksArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:network:StackNetworks", name, {}, opts);

    const network = (tier: string, subnet: string, internal: boolean) =>
      new docker.Network(
        `${name}-${tier}`,
        {
          name: `${name}-${tier}`,
          driver: "bridge",
          internal,
          attachable: false,
          ipamConfigs: [{ subnet }],
          labels: [{ label: "waste.tier", value: tier }],
        },
        { parent: this },
      );

    this.edge = network("edge", args.edgeSubnet, false);
    this.data = network("data", args.dataSubnet, true);
    this.admin = network("admin", args.adminSubnet, false);
    this.monitoring = network("monitoring", args.monitoringSubnet, false);

    this.registerOutputs({
      edge: this.edge.name,
      data: this.data.name,
      admin: this.admin.name,
      monitoring: this.monitoring.name,
    });
  }
}
