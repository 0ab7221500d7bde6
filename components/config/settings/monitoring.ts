import { z } from "zod";
import * as field from "../fields";
import { optionalSecret, setting } from "./setting";

/**
 * Prometheus and Alertmanager: how long samples are kept, their memory, where alerts go and the
 * runbook they link to.
 */
export const MONITORING_SETTINGS = {
  prometheusRetention: setting({
    type: "string",
    description:
      "How long Prometheus keeps samples, e.g. 15d or 8w; at least 8d, for the week-ago comparisons.",
    default: "15d",
    schema: field.prometheusRetention,
  }),
  prometheusMemory: setting({
    type: "string",
    description: "Memory limit of the Prometheus container.",
    default: "1g",
    schema: field.containerMemory,
  }),
  alertmanagerMemory: setting({
    type: "string",
    description: "Memory limit of the Alertmanager container.",
    default: "256m",
    schema: field.containerMemory,
  }),
  slackWebhookUrl: setting({
    type: "string",
    description:
      "Slack incoming-webhook URL Alertmanager posts to; required in prod. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  pagerdutyRoutingKey: setting({
    type: "string",
    description:
      "Events API v2 routing key of PagerDuty service waste-mgmt-production; required in prod. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  deadMansSwitchUrl: setting({
    type: "string",
    description:
      "Ping URL of a heartbeat check (healthchecks.io, Dead Man's Snitch) that pages when the always-firing Watchdog stops arriving; required in prod. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  runbookUrl: setting({
    type: "string",
    description:
      "URL of docs/runbook.md as people open it; every alert links to its section. In prod an absolute https:// URL.",
    default: "docs/runbook.md",
    schema: z.string().min(1, "must not be empty"),
  }),
} as const;
