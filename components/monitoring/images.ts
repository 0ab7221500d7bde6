/**
 * Images of the monitoring stack, pinned. The tests check the rendered configuration with
 * Debian's packages (Prometheus 2.42, Alertmanager 0.25, blackbox 0.23, postgres_exporter 0.11,
 * redis_exporter 1.45); these newer releases read the same configuration.
 */
export const MONITORING_IMAGES = {
  prometheus: "prom/prometheus:v2.53.2",
  alertmanager: "prom/alertmanager:v0.27.0",
  nodeExporter: "prom/node-exporter:v1.8.2",
  cadvisor: "gcr.io/cadvisor/cadvisor:v0.49.1",
  postgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
  redisExporter: "oliver006/redis_exporter:v1.62.0",
  nginxExporter: "nginx/nginx-prometheus-exporter:1.3.0",
  blackboxExporter: "prom/blackbox-exporter:v0.25.0",
} as const;

/** mtail has no maintained image; the stack builds one from Debian's package, the version tested. */
export const MTAIL_IMAGE = "waste-management/mtail:3.0.0-rc50";
