import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  FIXED_NAME,
  hardenedContainerArgs,
  imageRef,
  loopbackPort,
  seconds,
} from "../docker/container";
import { publishRenderedFile } from "../rendered-files";
import { configuredCertificate, selfSignedCertificate } from "./certificate";
import {
  NGINX_CERTIFICATE_FILE,
  NGINX_CONFIG_FILE,
  NGINX_CONTAINER_PORTS,
  NGINX_KEY_FILE,
  NginxSettingsInput,
  renderNginxConf,
} from "./settings";

/** A certificate made by the stack for `domain` (dev), or the operator's from config (prod). */
export type TlsSource =
  | { mode: "self-signed"; domain: string }
  | { mode: "config"; certificatePem: string; privateKeyPem: string };

/** Every interface: nginx is the one container the runbook exposes to the internet. */
const PUBLIC = "0.0.0.0";

export interface EdgeProxyArgs {
  /** Image repository, e.g. `nginx`. */
  image: string;
  /** Image tag or sha256 digest; never `latest`. */
  tag: string;
  /** Container memory limit in MB. */
  memoryMb: number;
  /** nginx.conf settings; addresses default to the container's own. */
  settings: NginxSettingsInput;
  /** Where nginx's certificate comes from. */
  tls: TlsSource;
  /** Public host ports for HTTP and HTTPS. */
  httpPort: number;
  httpsPort: number;
  /** Host port on 127.0.0.1 for stub_status. */
  statusPort: number;
  /** The app-tier network shared with the backend and frontend. */
  edgeNetwork: docker.Network;
  /** Containers that must be healthy before nginx routes to them. */
  upstreams: pulumi.Resource[];
}

/**
 * Fetches stub_status with whichever tool the image has: Alpine-based nginx images carry busybox
 * wget, Debian-based ones curl, and nginxTag may name either.
 */
function statusCheckCommand(): string {
  const url = `http://127.0.0.1:${NGINX_CONTAINER_PORTS.status}/nginx_status`;
  return `wget -q -O /dev/null ${url} || curl -fsS -o /dev/null ${url}`;
}

/** nginx terminating TLS in front of the frontend and backend. */
export class EdgeProxy extends pulumi.ComponentResource {
  public readonly container: docker.Container;

  constructor(name: string, args: EdgeProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:edge:EdgeProxy", name, {}, opts);

    const conf = renderNginxConf(args.settings);
    publishRenderedFile({ path: "nginx/nginx.conf", content: conf });
    const certificate =
      args.tls.mode === "self-signed"
        ? selfSignedCertificate(`${name}-tls`, args.tls.domain, this)
        : configuredCertificate(args.tls.certificatePem, args.tls.privateKeyPem);

    this.container = new docker.Container(
      `${name}-container`,
      {
        ...hardenedContainerArgs(args.memoryMb),
        name,
        hostname: name,
        image: imageRef(args.image, args.tag),
        uploads: [
          { file: NGINX_CONFIG_FILE, content: conf },
          { file: NGINX_CERTIFICATE_FILE, content: certificate.certificatePem },
          { file: NGINX_KEY_FILE, content: certificate.privateKeyPem, permissions: "0600" },
        ],
        networksAdvanced: [{ name: args.edgeNetwork.name, aliases: [name] }],
        ports: [
          {
            internal: NGINX_CONTAINER_PORTS.http,
            external: args.httpPort,
            ip: PUBLIC,
            protocol: "tcp",
          },
          {
            internal: NGINX_CONTAINER_PORTS.https,
            external: args.httpsPort,
            ip: PUBLIC,
            protocol: "tcp",
          },
          loopbackPort(NGINX_CONTAINER_PORTS.status, args.statusPort),
        ],
        healthcheck: {
          tests: ["CMD-SHELL", statusCheckCommand()],
          interval: seconds(15),
          timeout: seconds(5),
          retries: 3,
          startPeriod: seconds(10),
        },
        stopTimeout: 30,
        wait: true,
        waitTimeout: 120,
      },
      { parent: this, dependsOn: args.upstreams, ...FIXED_NAME },
    );

    this.registerOutputs({ container: this.container.id });
  }
}
