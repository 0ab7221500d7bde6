import { stringify } from "yaml";
import { HEALTH_CHECKS, HealthCheckName, INTERVALS, TLS_PROBE } from "./contract";
import { duration } from "./duration";
import { JOBS, PROBES, TLS_PROBES } from "./selectors";

/** Where Prometheus finds each target, `host:port`; in the stack these are container names. */
export interface ScrapeTargets {
  prometheus: string;
  alertmanager: string;
  node: string;
  containers: string;
  postgres: string;
  redis: string;
  nginx: string;
  nginxLog: string;
  blackbox: string;
  /** Base URLs the probes call, e.g. `http://backend:3001`. */
  backendUrl: string;
  frontendUrl: string;
  /** URL of the public HTTPS endpoint as the probe reaches it, and of nginx's own certificate. */
  publicUrl: string;
  originUrl: string;
}

export interface PrometheusConfigInput {
  environment: string;
  targets: ScrapeTargets;
  /** Glob of the rule files inside the container. */
  ruleFiles: string;
  /** A remote store every sample is also sent to: a Grafana Cloud stack's hosted Prometheus. */
  remoteWrite?: RemoteWrite;
}

/** Where Prometheus pushes its samples, and how it signs in; the password stays in a file. */
export interface RemoteWrite {
  /** The push URL, e.g. `https://prometheus-prod-01-eu-west-0.grafana.net/api/prom/push`. */
  url: string;
  username: string;
  /** Path of the file holding the password inside the container. */
  passwordFile: string;
}

/** The remote_write section: basic auth with the password read from its file at each push. */
function remoteWriteSection(remote: RemoteWrite) {
  return {
    remote_write: [
      {
        name: "grafana-cloud",
        url: remote.url,
        basic_auth: { username: remote.username, password_file: remote.passwordFile },
      },
    ],
  };
}

/** Seconds a scrape of a fast job may take. */
export const FAST_SCRAPE_TIMEOUT = 5;

/** The probe module for a check: the runbook's timeout is the module's timeout. */
export function moduleFor(check: HealthCheckName): string {
  return `http_2xx_${HEALTH_CHECKS[check].timeout}s`;
}

/**
 * blackbox_exporter cuts a probe at the scrape timeout minus 0.5 s, so the scrape timeout is the
 * runbook's timeout plus one second: the runbook's figure is then the probe's real limit.
 */
export function probeScrapeTimeout(timeoutSeconds: number): number {
  return timeoutSeconds + 1;
}

function staticJob(
  job: string,
  target: string,
  interval: number = INTERVALS.default,
  path?: string,
) {
  return {
    job_name: job,
    scrape_interval: duration(interval),
    // A target that hangs must not eat a fast job's detection budget.
    ...(interval < INTERVALS.default ? { scrape_timeout: duration(FAST_SCRAPE_TIMEOUT) } : {}),
    ...(path ? { metrics_path: path } : {}),
    static_configs: [{ targets: [target] }],
  };
}

/** A blackbox probe job: the target goes as a parameter, the exporter is what gets scraped. */
function probeJob(args: {
  jobName: string;
  job: string;
  probe: string;
  module: string;
  target: string;
  interval: number;
  timeout: number;
  blackbox: string;
}) {
  return {
    job_name: args.jobName,
    scrape_interval: duration(args.interval),
    scrape_timeout: duration(probeScrapeTimeout(args.timeout)),
    metrics_path: "/probe",
    params: { module: [args.module] },
    static_configs: [{ targets: [args.target], labels: { probe: args.probe } }],
    relabel_configs: [
      { source_labels: ["__address__"], target_label: "__param_target" },
      { source_labels: ["__param_target"], target_label: "instance" },
      { target_label: "__address__", replacement: args.blackbox },
      { target_label: "job", replacement: args.job },
    ],
  };
}

/** prometheus.yml: every exporter, the backend's own metrics, and one probe per health check. */
export function renderPrometheusConfig(input: PrometheusConfigInput): string {
  const t = input.targets;
  const probes = (Object.keys(HEALTH_CHECKS) as HealthCheckName[]).map((check) => {
    const spec = HEALTH_CHECKS[check];
    const base = spec.service === "backend" ? t.backendUrl : t.frontendUrl;
    return probeJob({
      jobName: `probe-${PROBES[check]}`,
      job: JOBS.probes,
      probe: PROBES[check],
      module: moduleFor(check),
      target: `${base}${spec.path}`,
      interval: spec.interval,
      timeout: spec.timeout,
      blackbox: t.blackbox,
    });
  });
  const tls = [
    { probe: TLS_PROBES.endpoint, module: "https_public", target: t.publicUrl },
    { probe: TLS_PROBES.certificate, module: "tls_certificate", target: t.originUrl },
  ].map((p) =>
    probeJob({
      jobName: `probe-${p.probe}`,
      job: JOBS.tls,
      probe: p.probe,
      module: p.module,
      target: p.target,
      interval: TLS_PROBE.interval,
      timeout: TLS_PROBE.timeout,
      blackbox: t.blackbox,
    }),
  );

  const config = {
    global: {
      scrape_interval: duration(INTERVALS.default),
      scrape_timeout: duration(10),
      evaluation_interval: duration(INTERVALS.default),
      external_labels: { environment: input.environment },
    },
    rule_files: [input.ruleFiles],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [t.alertmanager] }] }] },
    scrape_configs: [
      staticJob(JOBS.prometheus, t.prometheus),
      staticJob(JOBS.alertmanager, t.alertmanager),
      staticJob(JOBS.node, t.node),
      staticJob(JOBS.containers, t.containers),
      staticJob(JOBS.postgres, t.postgres),
      staticJob(JOBS.redis, t.redis, INTERVALS.fast),
      staticJob(JOBS.nginx, t.nginx),
      staticJob(JOBS.nginxLog, t.nginxLog),
      staticJob(JOBS.backend, new URL(t.backendUrl).host, INTERVALS.realtime, "/metrics"),
      ...probes,
      ...tls,
    ],
    ...(input.remoteWrite ? remoteWriteSection(input.remoteWrite) : {}),
  };
  return [
    "# Rendered by the waste-management stack; a deploy overwrites local edits.",
    stringify(config, { lineWidth: 0 }),
  ].join("\n");
}
