import type { ConfigProblem } from "./load";
import type { SettingValues } from "./settings";

/** The keys of a Grafana Cloud stack and its hosted Prometheus: all of them, or none. */
export const GRAFANA_CLOUD_KEYS = [
  "grafanaCloudUrl",
  "grafanaCloudToken",
  "grafanaCloudPrometheusUrl",
  "grafanaCloudPrometheusUser",
  "grafanaCloudPrometheusToken",
] as const;

/**
 * A Grafana Cloud stack cannot reach the host's Prometheus, so the stack needs the hosted
 * Prometheus too: the local one remote-writes to it and the Cloud datasource reads it. Half a
 * configuration would give dashboards without data, so every key is required once one is set.
 */
export function grafanaCloudChecks(
  v: Pick<SettingValues, (typeof GRAFANA_CLOUD_KEYS)[number]>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const set = GRAFANA_CLOUD_KEYS.filter((key) => v[key] !== "");
  if (set.length > 0) {
    for (const key of GRAFANA_CLOUD_KEYS.filter((key) => v[key] === "")) {
      problems.push({
        key,
        message:
          `must be set with the other Grafana Cloud keys (${GRAFANA_CLOUD_KEYS.join(", ")}): ` +
          "set all five, or none to run Grafana on the host",
      });
    }
  }
  if (v.grafanaCloudUrl !== "" && !/^https:\/\/[^\s/]+\/?$/.test(v.grafanaCloudUrl)) {
    problems.push({
      key: "grafanaCloudUrl",
      message: `must be the https:// URL of the Grafana Cloud stack, or empty (got "${v.grafanaCloudUrl}")`,
    });
  }
  if (
    v.grafanaCloudPrometheusUrl !== "" &&
    !/^https:\/\/[^\s/]+\/api\/prom\/?$/.test(v.grafanaCloudPrometheusUrl)
  ) {
    problems.push({
      key: "grafanaCloudPrometheusUrl",
      message:
        "must be the https:// query URL of the stack's hosted Prometheus, ending in /api/prom, " +
        `as its page under Connections shows it (got "${v.grafanaCloudPrometheusUrl}")`,
    });
  }
  if (v.grafanaCloudPrometheusUser !== "" && !/^[0-9]+$/.test(v.grafanaCloudPrometheusUser)) {
    problems.push({
      key: "grafanaCloudPrometheusUser",
      message:
        "must be the hosted Prometheus's numeric instance ID, the user its page shows beside " +
        `the URL (got "${v.grafanaCloudPrometheusUser}")`,
    });
  }
  return problems;
}

/** The hosted Prometheus's query URL without a trailing slash, and where Prometheus pushes. */
export function hostedPrometheusUrls(queryUrl: string): { query: string; push: string } {
  const query = queryUrl.replace(/\/$/, "");
  return { query, push: `${query}/push` };
}
