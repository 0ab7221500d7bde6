import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LOOPBACK } from "../docker/container";
import { MONITORING_ENDPOINTS } from "../monitoring/ports";

/** Grafana 11, pinned; the dashboards' schema is the one the foundation SDK's 11.6 build writes. */
export const GRAFANA_IMAGE = "grafana/grafana:11.6.14";

/** Grafana listens on 3000 in its container; the host's 3000 is the frontend's, so 3004 there. */
export const GRAFANA_PORTS = { container: 3000, host: 3004 } as const;

/** The admin user the provider signs in as; its password is the stack's secret. */
export const GRAFANA_ADMIN_USER = "admin";

/** Where Grafana keeps its database, sessions and plugins: the volume. */
export const GRAFANA_DATA_DIR = "/var/lib/grafana";

/** The URL people and the provider open: the host's loopback (tunnelled in prod). */
export const GRAFANA_LOCAL_URL = `http://${LOOPBACK}:${GRAFANA_PORTS.host}`;

/** Prometheus as Grafana reaches it over the monitoring network. */
export const PROMETHEUS_URL = `http://${MONITORING_ENDPOINTS.prometheus.name}:${MONITORING_ENDPOINTS.prometheus.port}`;

/**
 * Where the admin password is uploaded. The image's entrypoint reads every `GF_*__FILE` variable
 * into the variable without the suffix, so the password never appears in `docker inspect`.
 */
export const GRAFANA_ADMIN_PASSWORD_FILE = "/etc/grafana/secrets/admin-password";

/** Grafana's settings as environment variables: no anonymous access, no sign-up, no new
 * organisations, no calls home. None is a secret: the admin password comes from a file. */
export function grafanaEnvs(): string[] {
  return [
    `GF_SERVER_HTTP_PORT=${GRAFANA_PORTS.container}`,
    `GF_SERVER_ROOT_URL=${GRAFANA_LOCAL_URL}/`,
    `GF_SECURITY_ADMIN_USER=${GRAFANA_ADMIN_USER}`,
    `GF_SECURITY_ADMIN_PASSWORD__FILE=${GRAFANA_ADMIN_PASSWORD_FILE}`,
    "GF_SECURITY_DISABLE_GRAVATAR=true",
    "GF_SECURITY_COOKIE_SAMESITE=strict",
    "GF_AUTH_ANONYMOUS_ENABLED=false",
    "GF_AUTH_BASIC_ENABLED=true",
    "GF_USERS_ALLOW_SIGN_UP=false",
    "GF_USERS_ALLOW_ORG_CREATE=false",
    "GF_ANALYTICS_REPORTING_ENABLED=false",
    "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
    "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
  ];
}

/**
 * The admin password as a secret file. Uploads belong to root and the image runs Grafana as
 * uid 472, so an owner-only mode would leave Grafana unable to read it; nothing else runs in the
 * container.
 */
export function adminPasswordUpload(
  password: pulumi.Input<string>,
): docker.types.input.ContainerUpload {
  return {
    file: GRAFANA_ADMIN_PASSWORD_FILE,
    content: pulumi.secret(password),
    permissions: "0444",
  };
}
