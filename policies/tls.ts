import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { parse } from "yaml";
import {
  commandSetting,
  CONTAINER_TYPE,
  containerName,
  ContainerProps,
  uploadedFile,
  uploadsMatching,
  validateContainer,
} from "./containers-view";
import { parseNginx, valuesOf } from "./nginx-view";

interface TlsConfig {
  /** The protocols a TLS listener may offer (Mozilla's intermediate profile). */
  protocols: string[];
  /** The shortest HSTS max-age accepted, in seconds. */
  minHstsSeconds: number;
}

export const TLS_DEFAULTS: TlsConfig = {
  protocols: ["TLSv1.2", "TLSv1.3"],
  minHstsSeconds: 31536000,
};

/** What a rendered nginx.conf breaks of the runbook's TLS promises, one sentence each. */
export function tlsProblems(conf: string, config: TlsConfig): string[] {
  const { http, servers } = parseNginx(conf);
  const problems: string[] = [];
  const tlsServers = servers.filter((s) => valuesOf(s.directives, "listen").some(isSslListen));
  if (tlsServers.length === 0) {
    problems.push("serves no TLS listener");
  }
  for (const server of tlsServers) {
    const protocols = [
      ...valuesOf(server.directives, "ssl_protocols"),
      ...valuesOf(http, "ssl_protocols"),
    ][0];
    const offered = protocols?.split(" ") ?? [];
    const extra = offered.filter((p) => !config.protocols.includes(p));
    if (protocols === undefined || extra.length > 0) {
      problems.push(
        `offers ${protocols ?? "nginx's default protocols"} on ${listenOf(server)}; ` +
          `allow only ${config.protocols.join(" ")}`,
      );
    }
    const hsts = valuesOf(server.directives, "add_header")
      .map((value) => /^Strict-Transport-Security "?max-age=(\d+)/i.exec(value))
      .find((match) => match !== null);
    if (!hsts || Number(hsts[1]) < config.minHstsSeconds) {
      problems.push(
        `sends no HSTS header of at least ${config.minHstsSeconds} s on ${listenOf(server)}`,
      );
    }
  }
  for (const server of servers) {
    const plainHttp = valuesOf(server.directives, "listen").some(
      (listen) => !isSslListen(listen) && /(^|:)80(\s|$)/.test(listen),
    );
    const redirects = valuesOf(server.directives, "return").some((r) =>
      /^30[18] https:\/\//.test(r),
    );
    if (plainHttp && !redirects) {
      problems.push(`answers plain HTTP on ${listenOf(server)} without redirecting to HTTPS`);
    }
  }
  return problems;
}

function isSslListen(listen: string): boolean {
  return listen.split(" ").includes("ssl");
}

function listenOf(server: { directives: string[] }): string {
  return `listen ${valuesOf(server.directives, "listen")[0] ?? "?"}`;
}

/** Where the nginx image reads its configuration. */
const NGINX_CONFIG_PATH = "/etc/nginx/nginx.conf";

export const tlsEnforced: ResourceValidationPolicy = {
  name: "tls-enforced",
  description:
    "The proxy serves TLS 1.2 and 1.3 only, sends HSTS for at least a year, and redirects plain " +
    "HTTP to HTTPS.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      protocols: { type: "array", items: { type: "string" }, default: TLS_DEFAULTS.protocols },
      minHstsSeconds: { type: "integer", default: TLS_DEFAULTS.minHstsSeconds },
    },
  },
  validateResource: validateContainer((props, name, reportViolation, args) => {
    const repository = (props.image ?? "").split(/[:@]/)[0];
    if (!repository.split("/").pop()?.startsWith("nginx") || repository.includes("exporter")) {
      return;
    }
    const config = { ...TLS_DEFAULTS, ...args.getConfig<TlsConfig>() };
    const file = NGINX_CONFIG_PATH;
    const conf = uploadedFile(props, file);
    if (conf === undefined) {
      reportViolation(
        `Container ${name} runs nginx without ${file} from the stack: it serves no TLS.`,
      );
      return;
    }
    for (const problem of tlsProblems(conf, config)) {
      reportViolation(`Container ${name}: ${file} ${problem}.`);
    }
  }),
};

interface ExpiryConfig {
  warningDays: number;
  criticalDays: number;
}

export const EXPIRY_DEFAULTS: ExpiryConfig = { warningDays: 21, criticalDays: 7 };

interface RuleFile {
  groups?: { rules?: { alert?: string; expr?: string; labels?: Record<string, string> }[] }[];
}

interface PrometheusFile {
  rule_files?: string[];
  scrape_configs?: {
    job_name?: string;
    params?: { module?: string[] };
    static_configs?: { targets?: string[] }[];
  }[];
}

/** The Prometheus configuration a container runs, parsed, or undefined when it runs none. */
export function prometheusConfig(props: ContainerProps): PrometheusFile | undefined {
  const path = commandSetting(props, "config.file");
  const text = path === undefined ? undefined : uploadedFile(props, path);
  const parsed = text === undefined ? undefined : (parse(text) as PrometheusFile | null);
  return parsed?.scrape_configs === undefined ? undefined : parsed;
}

/** What a Prometheus container's files miss of the certificate checks, one sentence each. */
export function expiryProblems(
  props: ContainerProps,
  prometheus: PrometheusFile,
  config: ExpiryConfig,
): string[] {
  const problems: string[] = [];
  const probesHttps = (prometheus.scrape_configs ?? []).some(
    (job) =>
      (job.params?.module ?? []).length > 0 &&
      (job.static_configs ?? []).some((s) =>
        (s.targets ?? []).some((t) => t.startsWith("https://")),
      ),
  );
  if (!probesHttps) {
    problems.push("probes no https:// endpoint through the blackbox exporter");
  }
  const expiryRules = (prometheus.rule_files ?? [])
    .flatMap((glob) => uploadsMatching(props, glob))
    .flatMap(({ content }) => (parse(content) as RuleFile | null)?.groups ?? [])
    .flatMap((group) => group.rules ?? [])
    .filter(
      (rule) => rule.alert !== undefined && /probe_ssl_earliest_cert_expiry/.test(rule.expr ?? ""),
    );
  const levels = [
    { severity: "warning", days: config.warningDays },
    { severity: "critical", days: config.criticalDays },
  ];
  for (const { severity, days } of levels) {
    const found = expiryRules.some(
      (rule) =>
        rule.labels?.severity === severity &&
        new RegExp(`<=?\\s*(${days}|${days * 86400})(\\D|$)`).test(rule.expr ?? ""),
    );
    if (!found) {
      problems.push(`has no ${severity} alert on a certificate expiring within ${days} days`);
    }
  }
  return problems;
}

export const certificateExpiryChecked: StackValidationPolicy = {
  name: "certificate-expiry-checked",
  description:
    "Prometheus probes the public HTTPS endpoint and alerts on its certificate: a warning at 21 " +
    "days before expiry and a page at 7.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      warningDays: { type: "integer", default: EXPIRY_DEFAULTS.warningDays },
      criticalDays: { type: "integer", default: EXPIRY_DEFAULTS.criticalDays },
    },
  },
  validateStack: (args, reportViolation) => {
    const config = { ...EXPIRY_DEFAULTS, ...args.getConfig<ExpiryConfig>() };
    const running = args.resources.flatMap((r) => {
      const props = r.props as ContainerProps;
      const prometheus = r.type === CONTAINER_TYPE ? prometheusConfig(props) : undefined;
      return prometheus === undefined ? [] : [{ resource: r, props, prometheus }];
    });
    if (running.length === 0) {
      reportViolation("No container runs Prometheus, so nothing watches the certificate.");
    }
    for (const { resource, props, prometheus } of running) {
      for (const problem of expiryProblems(props, prometheus, config)) {
        reportViolation(
          `Container ${containerName(props, resource.name)} ${problem}.`,
          resource.urn,
        );
      }
    }
  },
};
