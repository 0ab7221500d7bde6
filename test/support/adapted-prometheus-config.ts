import * as path from "node:path";
import { parse } from "yaml";

/**
 * The rendered prometheus.yml with only addresses changed: every container name:port becomes a
 * loopback address, the rule files are read from `rulesDir`. A target the drill does not run
 * points at a closed port, so it is down as it would be with its container stopped.
 */
export function adaptPrometheusConfig(
  text: string,
  addresses: Record<string, string>,
  closed: string,
  rulesDir: string,
): string {
  let adapted = text.replace("/etc/prometheus/rules/*.yml", path.join(rulesDir, "*.yml"));
  const config = parse(text) as {
    scrape_configs: {
      static_configs?: { targets: string[] }[];
      relabel_configs?: { target_label?: string; replacement?: string }[];
    }[];
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  };
  const hosts = new Set<string>();
  for (const job of config.scrape_configs) {
    for (const target of job.static_configs?.flatMap((c) => c.targets) ?? []) {
      // Not URL's host: it drops a default port, and a bare `nginx` would match the job name.
      hosts.add(/^(?:[a-z]+:\/\/)?([^/]+)/.exec(target)?.[1] ?? target);
    }
    for (const relabel of job.relabel_configs ?? []) {
      if (relabel.target_label === "__address__" && relabel.replacement) {
        hosts.add(relabel.replacement);
      }
    }
  }
  for (const am of config.alerting.alertmanagers) {
    am.static_configs.flatMap((c) => c.targets).forEach((target) => hosts.add(target));
  }
  // Longest first, so that no name is replaced inside a longer one.
  for (const host of [...hosts].sort((a, b) => b.length - a.length)) {
    const pattern = new RegExp(`(?<=^|[\\s/])${host.replace(/[.]/g, "\\.")}(?=$|[\\s/])`, "gm");
    adapted = adapted.replace(pattern, addresses[host] ?? closed);
  }
  return adapted;
}
