import { StackValidationPolicy } from "@pulumi/policy";
import { CONTAINER_TYPE, ContainerProps, containerName, durationSeconds } from "./containers-view";

/** One row of the runbook's health-check table. */
export interface HealthCheckRow {
  /** The container's name. */
  container: string;
  /** What the check must run: a path it requests or the command it calls. */
  probe: string;
  /** The runbook's timeout; a longer one would hide the slowness the runbook pages on. */
  timeoutSeconds: number;
}

interface HealthCheckConfig {
  services: HealthCheckRow[];
}

export const HEALTH_CHECK_DEFAULTS: HealthCheckConfig = {
  services: [
    { container: "backend", probe: "/health", timeoutSeconds: 5 },
    { container: "frontend", probe: "/api/health", timeoutSeconds: 10 },
    { container: "postgres", probe: "pg_isready", timeoutSeconds: 10 },
    { container: "redis", probe: "ping", timeoutSeconds: 5 },
  ],
};

export const healthChecksAsRunbook: StackValidationPolicy = {
  name: "health-checks-as-runbook",
  description:
    "Every service of the runbook's health-check table runs with its check and a timeout no " +
    "longer than the runbook's, and every container that publishes a port has a health check.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      services: {
        type: "array",
        items: {
          type: "object",
          properties: {
            container: { type: "string" },
            probe: { type: "string" },
            timeoutSeconds: { type: "number" },
          },
          required: ["container", "probe", "timeoutSeconds"],
        },
        default: HEALTH_CHECK_DEFAULTS.services,
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const { services } = { ...HEALTH_CHECK_DEFAULTS, ...args.getConfig<HealthCheckConfig>() };
    const containers = args.resources
      .filter((r) => r.type === CONTAINER_TYPE)
      .map((r) => {
        const props = r.props as ContainerProps;
        return { urn: r.urn, props, name: containerName(props, r.name) };
      });

    for (const row of services) {
      const found = containers.find((c) => c.name === row.container);
      if (found === undefined) {
        reportViolation(`The runbook's ${row.container} service has no container in this stack.`);
        continue;
      }
      const check = found.props.healthcheck;
      const command = (check?.tests ?? []).join(" ");
      if (!command.includes(row.probe)) {
        reportViolation(
          `Container ${row.container} does not check ${row.probe}; its health check must run it.`,
          found.urn,
        );
      }
      const timeout = durationSeconds(check?.timeout);
      if (timeout === undefined || timeout > row.timeoutSeconds) {
        reportViolation(
          `Container ${row.container}'s health check times out after ` +
            `${check?.timeout ?? "Docker's default 30s"}; the runbook gives it ${row.timeoutSeconds}s.`,
          found.urn,
        );
      }
    }

    for (const container of containers) {
      const listed = services.some((row) => row.container === container.name);
      const tests = container.props.healthcheck?.tests ?? [];
      if (!listed && (container.props.ports ?? []).length > 0 && tests.length === 0) {
        reportViolation(
          `Container ${container.name} publishes a port but has no health check; add one.`,
          container.urn,
        );
      }
    }
  },
};
