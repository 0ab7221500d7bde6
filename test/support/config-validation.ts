import { validateSettings } from "../../components/config/load";
import { SettingName } from "../../components/config/settings";

/** Config as a stack file gives it: every value a string, and lists as JSON. */
export type Raw = Partial<Record<SettingName, string>>;

/** A complete Grafana Cloud configuration: the stack, and its hosted Prometheus. */
export const GRAFANA_CLOUD = {
  grafanaCloudUrl: "https://waste.grafana.net",
  grafanaCloudToken: "glsa_x",
  grafanaCloudPrometheusUrl: "https://prometheus-prod-01-eu-west-0.grafana.net/api/prom",
  grafanaCloudPrometheusUser: "1234567",
  grafanaCloudPrometheusToken: "glc_x",
};

/** Validates `raw`, with every other key at its default. */
export function validate(raw: Raw) {
  return validateSettings((key) => raw[key]);
}

/** The problems of `raw` as `key: message`, in the order they are reported. */
export function problemsOf(raw: Raw): string[] {
  return validate(raw).problems.map((p) => `${p.key}: ${p.message}`);
}
