import * as fs from "node:fs";
import * as path from "node:path";
import { freePort, requireBinary, run, ServerProcess, startServer } from "./processes";

const NODE_EXPORTER = "/usr/bin/prometheus-node-exporter";
const NGINX_EXPORTER = "/usr/bin/prometheus-nginx-exporter";
const NGINX = "/usr/sbin/nginx";
const OPENSSL = "/usr/bin/openssl";

/** True once `url` answers 200 with `text` in its body. */
export async function serves(url: string, text: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return response.ok && (await response.text()).includes(text);
}

/** Debian's node_exporter on a loopback port. */
export async function startNodeExporter(address: string): Promise<ServerProcess> {
  requireBinary(NODE_EXPORTER, "prometheus-node-exporter");
  return startServer(NODE_EXPORTER, [`--web.listen-address=${address}`], {
    name: "node_exporter",
    ready: () => serves(`http://${address}/metrics`, "node_cpu_seconds_total"),
  });
}

/** A real nginx with only what the exporters read: stub_status, and a TLS port to probe. */
export interface NginxStub {
  process: ServerProcess;
  statusUrl: string;
  /** `host:port` of a TLS listener with a self-signed certificate valid for 30 days, past the
   * expiry alerts' 21. */
  tlsAddress: string;
}

/**
 * nginx with a minimal configuration of its own; the rendered nginx.conf is proven in
 * nginx.live.test.ts. Everything it writes stays under `dir`.
 */
export async function startNginxStub(dir: string): Promise<NginxStub> {
  requireBinary(NGINX, "nginx");
  requireBinary(OPENSSL, "openssl");
  const [statusPort, tlsPort] = [await freePort(), await freePort()];
  const certificate = path.join(dir, "stub.crt");
  const key = path.join(dir, "stub.key");
  const made = await run(OPENSSL, [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
    ...["-subj", "/CN=localhost", "-days", "30", "-keyout", key, "-out", certificate],
  ]);
  if (made.code !== 0) {
    throw new Error(`openssl could not make the stub's certificate:\n${made.stderr}`);
  }
  const conf = path.join(dir, "nginx-stub.conf");
  fs.writeFileSync(
    conf,
    [
      `pid ${path.join(dir, "nginx-stub.pid")};`,
      "error_log stderr;",
      "events {}",
      "http {",
      "  access_log off;",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
        (kind) => `  ${kind}_temp_path ${path.join(dir, `${kind}-temp`)};`,
      ),
      `  server { listen 127.0.0.1:${statusPort}; location = /nginx_status { stub_status; } }`,
      `  server { listen 127.0.0.1:${tlsPort} ssl; ssl_certificate ${certificate};`,
      `    ssl_certificate_key ${key}; location / { return 200 "ok\\n"; } }`,
      "}",
      "",
    ].join("\n"),
  );
  const statusUrl = `http://127.0.0.1:${statusPort}/nginx_status`;
  const process = await startServer(NGINX, ["-c", conf, "-g", "daemon off;"], {
    name: "nginx stub_status",
    ready: () => serves(statusUrl, "Active connections"),
  });
  return { process, statusUrl, tlsAddress: `127.0.0.1:${tlsPort}` };
}

/** Debian's nginx exporter reading `statusUrl`. */
export async function startNginxExporter(
  statusUrl: string,
  address: string,
): Promise<ServerProcess> {
  requireBinary(NGINX_EXPORTER, "prometheus-nginx-exporter");
  return startServer(
    NGINX_EXPORTER,
    [`-nginx.scrape-uri=${statusUrl}`, `-web.listen-address=${address}`],
    {
      name: "nginx exporter",
      ready: () => serves(`http://${address}/metrics`, "nginx_up 1"),
    },
  );
}
