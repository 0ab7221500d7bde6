import { stringify } from "yaml";
import { HEALTH_CHECKS, TLS_PROBE } from "./contract";
import { duration } from "./duration";

export interface BlackboxConfigInput {
  /** Host name the origin's certificate is issued for; sent as SNI and Host. */
  serverName: string;
  /** Verify the public endpoint's chain (prod); dev serves a self-signed certificate. */
  verifyPublicCertificate: boolean;
}

function httpModule(timeoutSeconds: number) {
  return {
    prober: "http",
    timeout: duration(timeoutSeconds),
    http: { method: "GET", preferred_ip_protocol: "ip4", valid_status_codes: [200] },
  };
}

/** blackbox.yml: one module per timeout of the health-check table, and the two TLS modules. */
export function renderBlackboxConfig(input: BlackboxConfigInput): string {
  const timeouts = [...new Set(Object.values(HEALTH_CHECKS).map((c) => c.timeout))].sort(
    (a, b) => a - b,
  );
  const modules: Record<string, unknown> = Object.fromEntries(
    timeouts.map((timeout) => [`http_2xx_${timeout}s`, httpModule(timeout)]),
  );
  modules.https_public = {
    prober: "http",
    timeout: duration(TLS_PROBE.timeout),
    http: {
      method: "GET",
      preferred_ip_protocol: "ip4",
      fail_if_not_ssl: true,
      tls_config: { insecure_skip_verify: !input.verifyPublicCertificate },
    },
  };
  // Without verification the exporter reports an expired certificate's expiry instead of failing.
  modules.tls_certificate = {
    prober: "http",
    timeout: duration(TLS_PROBE.timeout),
    http: {
      method: "GET",
      preferred_ip_protocol: "ip4",
      fail_if_not_ssl: true,
      valid_status_codes: [],
      headers: { Host: input.serverName },
      tls_config: { insecure_skip_verify: true, server_name: input.serverName },
    },
  };
  return [
    "# Rendered by the waste-management stack; a deploy overwrites local edits.",
    stringify({ modules }, { lineWidth: 0 }),
  ].join("\n");
}
