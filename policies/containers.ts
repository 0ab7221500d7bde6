import { ResourceValidationPolicy } from "@pulumi/policy";
import { onLoopback, validateContainer } from "./containers-view";

/** Why an image reference does not pin what runs, or undefined when it does. */
export function unpinnedReason(image: string): string | undefined {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) {
    return undefined;
  }
  const lastSlash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  if (colon <= lastSlash) {
    return "names no tag, so Docker runs whatever latest is on the day";
  }
  const tag = image.slice(colon + 1);
  if (tag.toLowerCase() === "latest") {
    return "uses the tag latest, which changes without a deploy";
  }
  return undefined;
}

export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description:
    "Every container runs an image pinned by a version tag or a sha256 digest, never latest, so " +
    "that a rollback to an earlier update runs the same software.",
  enforcementLevel: "mandatory",
  validateResource: validateContainer((props, name, reportViolation) => {
    const reason = props.image === undefined ? "names no image" : unpinnedReason(props.image);
    if (reason !== undefined) {
      reportViolation(
        `Container ${name}: image ${JSON.stringify(props.image ?? "")} ${reason}; ` +
          "pin a version tag or a digest.",
      );
    }
  }),
};

const RESTARTING_POLICIES = ["always", "unless-stopped", "on-failure"];

export const containersHardened: ResourceValidationPolicy = {
  name: "containers-hardened",
  description:
    "Every container has a memory limit, restarts by itself after a crash and never runs " +
    "privileged, so that one runaway service cannot take the host with it.",
  enforcementLevel: "mandatory",
  validateResource: validateContainer((props, name, reportViolation) => {
    if (props.privileged === true) {
      reportViolation(`Container ${name} runs privileged; drop privileged and grant capabilities.`);
    }
    if (!(typeof props.memory === "number" && props.memory > 0)) {
      reportViolation(`Container ${name} has no memory limit; set memory in megabytes.`);
    }
    if (!RESTARTING_POLICIES.includes(props.restart ?? "no")) {
      reportViolation(
        `Container ${name} has restart policy ${JSON.stringify(props.restart ?? "no")}; ` +
          `use one of ${RESTARTING_POLICIES.join(", ")}.`,
      );
    }
  }),
};

interface EdgePortsConfig {
  /** Container ports the runbook lets listen on every interface. */
  publicPorts: number[];
}

export const EDGE_PORTS_DEFAULTS: EdgePortsConfig = { publicPorts: [80, 443] };

export const publicPortsOnlyAtTheEdge: ResourceValidationPolicy = {
  name: "public-ports-only-at-the-edge",
  description:
    "Only the proxy's HTTP and HTTPS ports are published on a public interface; every other " +
    "published port listens on 127.0.0.1.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      publicPorts: { type: "array", items: { type: "integer" }, default: [80, 443] },
    },
  },
  validateResource: validateContainer((props, name, reportViolation, args) => {
    const { publicPorts } = { ...EDGE_PORTS_DEFAULTS, ...args.getConfig<EdgePortsConfig>() };
    for (const port of props.ports ?? []) {
      if (!onLoopback(port) && !publicPorts.includes(port.internal ?? -1)) {
        reportViolation(
          `Container ${name} publishes port ${port.internal} on ${port.ip ?? "every interface"}; ` +
            'publish it on ip "127.0.0.1", or not at all.',
        );
      }
    }
  }),
};
