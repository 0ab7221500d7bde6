import { z } from "zod";
import * as field from "../fields";
import { optionalSecret, setting } from "./setting";

/** Grafana on the host, or the Grafana Cloud stack that replaces it. */
export const GRAFANA_SETTINGS = {
  grafanaMemory: setting({
    type: "string",
    description: "Memory limit of the Grafana container.",
    default: "512m",
    schema: field.containerMemory,
  }),
  grafanaAdminPassword: setting({
    type: "string",
    description:
      "Password of Grafana's admin user; empty means one is generated. Read only when Grafana's volume is new. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  grafanaCloudUrl: setting({
    type: "string",
    description:
      "URL of a Grafana Cloud stack (https://<stack>.grafana.net) to manage instead of running Grafana; empty runs Grafana on the host.",
    default: "",
    schema: z.string(),
  }),
  grafanaCloudToken: setting({
    type: "string",
    description:
      "Service-account token of the Grafana Cloud stack in grafanaCloudUrl, with the Admin role: creating the datasource needs it (or a custom role with datasources:create, datasources:write and datasources:read besides folders and dashboards). Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  grafanaCloudPrometheusUrl: setting({
    type: "string",
    description:
      "Query URL of the Grafana Cloud stack's hosted Prometheus (https://prometheus-prod-<n>-<region>.grafana.net/api/prom); the local Prometheus remote-writes to its /push and the Cloud datasource reads it.",
    default: "",
    schema: z.string(),
  }),
  grafanaCloudPrometheusUser: setting({
    type: "string",
    description:
      "Instance ID of the hosted Prometheus in grafanaCloudPrometheusUrl: the basic-auth user for writing and reading.",
    default: "",
    schema: z.string(),
  }),
  grafanaCloudPrometheusToken: setting({
    type: "string",
    description:
      "Cloud Access Policy token for grafanaCloudPrometheusUser, with the metrics:write and metrics:read scopes. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
} as const;
