import * as field from "../fields";
import { setting } from "./setting";

/** The subnets of the stack's four Docker networks. */
export const NETWORK_SETTINGS = {
  edgeSubnet: setting({
    type: "string",
    description: "Subnet of the app-tier network shared by nginx, the frontend and the backend.",
    default: "172.28.0.0/24",
    schema: field.privateSubnet,
  }),
  dataSubnet: setting({
    type: "string",
    description: "Subnet of the internal data-tier network (Postgres, Redis, backend, exporters).",
    default: "172.28.1.0/24",
    schema: field.privateSubnet,
  }),
  adminSubnet: setting({
    type: "string",
    description: "Subnet of the network that carries Postgres's loopback-only admin port.",
    default: "172.28.2.0/24",
    schema: field.privateSubnet,
  }),
  monitoringSubnet: setting({
    type: "string",
    description: "Subnet of the monitoring network: Prometheus, Alertmanager and the exporters.",
    default: "172.28.3.0/24",
    schema: field.privateSubnet,
  }),
} as const;
