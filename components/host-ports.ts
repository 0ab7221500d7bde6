import { BACKEND, FRONTEND } from "./app/services";
import { GRAFANA_PORTS } from "./grafana/settings";
import { MONITORING_ENDPOINTS } from "./monitoring/ports";

/**
 * Host ports the stack publishes on 127.0.0.1 whatever the configuration says, by the container
 * that holds them. Taken from where each component defines its port, so the configuration check
 * and the containers cannot disagree.
 */
export const FIXED_HOST_PORTS = {
  backend: BACKEND.port,
  frontend: FRONTEND.port,
  grafana: GRAFANA_PORTS.host,
  prometheus: MONITORING_ENDPOINTS.prometheus.port,
  alertmanager: MONITORING_ENDPOINTS.alertmanager.port,
} as const;
