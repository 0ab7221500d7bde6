/** Container names and ports of the monitoring stack: how Prometheus reaches each target. */
export const MONITORING_ENDPOINTS = {
  prometheus: { name: "prometheus", port: 9090 },
  alertmanager: { name: "alertmanager", port: 9093 },
  node: { name: "node-exporter", port: 9100 },
  containers: { name: "cadvisor", port: 8080 },
  postgres: { name: "postgres-exporter", port: 9187 },
  redis: { name: "redis-exporter", port: 9121 },
  nginx: { name: "nginx-exporter", port: 9113 },
  nginxLog: { name: "mtail", port: 3903 },
  blackbox: { name: "blackbox-exporter", port: 9115 },
} as const;

export type MonitoringEndpoint = keyof typeof MONITORING_ENDPOINTS;

export function address(endpoint: MonitoringEndpoint): string {
  const { name, port } = MONITORING_ENDPOINTS[endpoint];
  return `${name}:${port}`;
}
