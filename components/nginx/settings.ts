/** Paths and ports inside the nginx container. */
export const NGINX_CONFIG_FILE = "/etc/nginx/nginx.conf";
export const NGINX_CERTIFICATE_FILE = "/etc/nginx/tls/server.crt";
export const NGINX_KEY_FILE = "/etc/nginx/tls/server.key";
export const NGINX_CONTAINER_PORTS = { http: 80, https: 443, status: 8081 } as const;

/**
 * Mozilla's "intermediate" profile (TLS 1.2 and 1.3, forward-secret AEAD suites). The DHE suites
 * of that profile are left out because they need a dhparam file the stack does not ship.
 */
export const TLS_PROTOCOLS = "TLSv1.2 TLSv1.3";
export const TLS_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

export interface NginxSettingsInput {
  /** Public host name. */
  serverName: string;
  /** `host:port` of the backend and frontend as nginx reaches them. */
  backendUpstream: string;
  frontendUpstream: string;
  /** The DNS server (`address[:port]`) that names the upstreams; Docker's own on its networks. */
  resolver: string;
  /** Listen addresses (`port` or `address:port`), the container's own ports by default. */
  listen?: { http: string; https: string; status: string };
  /** The HTTPS port clients see, for the redirect; 443 is left out of the URL. */
  publicHttpsPort: number;
  certificateFile?: string;
  keyFile?: string;
  /** Client addresses and blocks refused with 403. */
  denyList: readonly string[];
  /** Proxies allowed to set the client address via CF-Connecting-IP; empty turns it off. */
  trustedProxies: readonly string[];
  /** Sustained requests per second per client, and the queue above it. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Who may read stub_status besides the container itself. */
  statusAllowFrom: readonly string[];
}

const SECURITY_HEADERS: [string, string][] = [
  ["Strict-Transport-Security", "max-age=63072000"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
  ["Referrer-Policy", "strict-origin-when-cross-origin"],
  ["Permissions-Policy", "geolocation=(self), camera=(), microphone=()"],
];

// One JSON object per request, so log queries need no regular expressions.
const JSON_LOG_FIELDS: [string, string][] = [
  ["time", "$time_iso8601"],
  ["request_id", "$request_id"],
  ["client", "$remote_addr"],
  ["method", "$request_method"],
  ["host", "$host"],
  ["uri", "$request_uri"],
  ["status", "$status"],
  ["bytes", "$body_bytes_sent"],
  ["duration", "$request_time"],
  ["upstream", "$upstream_addr"],
  ["upstream_status", "$upstream_status"],
  ["upstream_duration", "$upstream_response_time"],
  ["referer", "$http_referer"],
  ["user_agent", "$http_user_agent"],
  ["tls", "$ssl_protocol"],
];

function indent(lines: string[], depth: number): string[] {
  return lines.map((text) => (text === "" ? "" : `${"    ".repeat(depth)}${text}`));
}

function block(head: string, body: string[]): string[] {
  return [`${head} {`, ...indent(body, 1), "}"];
}

function jsonLogFormat(): string[] {
  const fields = JSON_LOG_FIELDS.map(
    ([key, variable], i) => `'${i === 0 ? "{" : ","}"${key}":"${variable}"'`,
  );
  return ["log_format json escape=json", ...indent([...fields, "'}';"], 1)];
}

function realIp(trusted: readonly string[]): string[] {
  if (trusted.length === 0) {
    return [];
  }
  return [
    ...trusted.map((range) => `set_real_ip_from ${range};`),
    "real_ip_header CF-Connecting-IP;",
    "",
  ];
}

/** Docker's embedded DNS server, which answers for container names on user-defined networks. */
export const DOCKER_EMBEDDED_DNS = "127.0.0.11";

// How long nginx keeps an upstream's address: a replaced container's new address is in use
// within this many seconds.
const RESOLVER_VALID_SECONDS = 10;

/**
 * Proxies to `upstream` through a variable, which nginx resolves at request time with the
 * resolver and re-resolves once the answer expires. A name in an upstream block is resolved once,
 * at start: a recreated backend with a new address would get 502s until nginx restarts, and an
 * upstream missing at start would keep nginx from starting at all.
 */
function proxyTo(variable: string, upstream: string): string[] {
  return [
    `set $${variable} http://${upstream};`,
    `proxy_pass $${variable};`,
    "proxy_http_version 1.1;",
    "proxy_set_header Host $host;",
    "proxy_set_header X-Real-IP $remote_addr;",
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "proxy_set_header X-Forwarded-Proto $scheme;",
    "proxy_set_header X-Request-ID $request_id;",
    "proxy_connect_timeout 5s;",
    "proxy_read_timeout 60s;",
  ];
}

/**
 * nginx.conf for the edge proxy: HTTP only redirects, HTTPS serves the frontend and `/api/` from
 * the backend, every client is rate limited, and addresses of the deny list get 403 on both.
 */
export function renderNginxConf(input: NginxSettingsInput): string {
  const listen = input.listen ?? {
    http: String(NGINX_CONTAINER_PORTS.http),
    https: String(NGINX_CONTAINER_PORTS.https),
    status: String(NGINX_CONTAINER_PORTS.status),
  };
  const httpsSuffix = input.publicHttpsPort === 443 ? "" : `:${input.publicHttpsPort}`;
  const denied = ["if ($denied_client) {", "    return 403;", "}"];

  const http = [
    "include /etc/nginx/mime.types;",
    "default_type application/octet-stream;",
    "server_tokens off;",
    "sendfile on;",
    "tcp_nopush on;",
    "keepalive_timeout 65s;",
    "client_max_body_size 10m;",
    "",
    ...realIp(input.trustedProxies),
    ...jsonLogFormat(),
    "access_log /dev/stdout json;",
    "",
    ...block("geo $denied_client", [
      "default 0;",
      ...input.denyList.map((address) => `${address} 1;`),
    ]),
    "",
    `limit_req_zone $binary_remote_addr zone=per_client:10m rate=${input.rateLimitPerSecond}r/s;`,
    "limit_req_status 429;",
    "limit_conn_zone $binary_remote_addr zone=connections_per_client:10m;",
    "limit_conn_status 429;",
    "",
    `resolver ${input.resolver} valid=${RESOLVER_VALID_SECONDS}s ipv6=off;`,
    "resolver_timeout 5s;",
    "",
    ...block("server", [
      `listen ${listen.http} default_server;`,
      "server_name _;",
      ...denied,
      // The configured name, not $host: a forged Host header must not choose the redirect target.
      ...block("location /", [`return 301 https://${input.serverName}${httpsSuffix}$request_uri;`]),
    ]),
    "",
    ...block("server", [
      // The listen-parameter form of http2 works from nginx 1.9.5 on (1.25.1+ only warns), so one
      // file serves both the image's nginx and Debian's 1.22 that the tests run.
      `listen ${listen.https} ssl http2 default_server;`,
      `server_name ${input.serverName};`,
      `ssl_certificate ${input.certificateFile ?? NGINX_CERTIFICATE_FILE};`,
      `ssl_certificate_key ${input.keyFile ?? NGINX_KEY_FILE};`,
      `ssl_protocols ${TLS_PROTOCOLS};`,
      `ssl_ciphers ${TLS_CIPHERS};`,
      "ssl_prefer_server_ciphers off;",
      "ssl_session_timeout 1d;",
      "ssl_session_cache shared:TLS:10m;",
      "ssl_session_tickets off;",
      "",
      ...SECURITY_HEADERS.map(([name, value]) => `add_header ${name} "${value}" always;`),
      "",
      ...denied,
      `limit_req zone=per_client burst=${input.rateLimitBurst} nodelay;`,
      "limit_conn connections_per_client 50;",
      "",
      ...block("location /api/", proxyTo("backend_upstream", input.backendUpstream)),
      ...block("location /", proxyTo("frontend_upstream", input.frontendUpstream)),
    ]),
    "",
    ...block("server", [
      `listen ${listen.status};`,
      "access_log off;",
      ...block("location = /nginx_status", [
        "stub_status;",
        "allow 127.0.0.1;",
        ...input.statusAllowFrom.map((address) => `allow ${address};`),
        "deny all;",
      ]),
    ]),
  ];

  return [
    "# Rendered by the waste-management stack; a deploy overwrites local edits.",
    "worker_processes auto;",
    "error_log stderr warn;",
    "",
    ...block("events", ["worker_connections 4096;"]),
    "",
    ...block("http", http),
    "",
  ].join("\n");
}
