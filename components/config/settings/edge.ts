import { z } from "zod";
import * as field from "../fields";
import { optionalSecret, setting } from "./setting";

/**
 * Which environment the stack is, and how the public reaches it through nginx: the host name, TLS,
 * the clients nginx refuses or slows down, and its ports.
 */
export const EDGE_SETTINGS = {
  environment: setting({
    type: "string",
    description: "Which environment this stack is: dev (local Docker engine) or prod.",
    default: "dev",
    schema: z.enum(["dev", "prod"]),
  }),
  domain: setting({
    type: "string",
    description: "Public host name served by nginx and named in its certificate.",
    default: "localhost",
    schema: field.hostname,
  }),
  behindCloudflare: setting({
    type: "boolean",
    description:
      "Restore the client address from CF-Connecting-IP when requests come from Cloudflare.",
    default: false,
    schema: z.boolean(),
  }),
  tlsMode: setting({
    type: "string",
    description:
      "self-signed: the stack makes its own certificate (dev); config: tlsCertificate and tlsPrivateKey.",
    default: "self-signed",
    schema: z.enum(["self-signed", "config"]),
  }),
  tlsCertificate: setting({
    type: "string",
    description: "PEM certificate chain for nginx when tlsMode is config. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  tlsPrivateKey: setting({
    type: "string",
    description: "PEM private key for tlsCertificate. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
  denyList: setting({
    type: "array",
    description: "Client IPs and CIDR blocks nginx refuses with 403 (the runbook's blocked IPs).",
    default: [],
    schema: z.array(field.ipOrCidr),
  }),
  rateLimitPerSecond: setting({
    type: "integer",
    description: "Requests per second nginx allows one client address before answering 429.",
    default: 10,
    schema: z.number().int().min(1, "must be at least 1 request per second").max(10000),
  }),
  rateLimitBurst: setting({
    type: "integer",
    description: "Requests above the rate that nginx queues for one client before refusing.",
    default: 20,
    schema: z.number().int().min(0, "must be 0 or more").max(100000),
  }),
  httpPort: setting({
    type: "integer",
    description: "Public port nginx listens on for HTTP; it only redirects to HTTPS.",
    default: 80,
    schema: field.port,
  }),
  httpsPort: setting({
    type: "integer",
    description: "Public port nginx serves HTTPS on.",
    default: 443,
    schema: field.port,
  }),
  nginxStatusPort: setting({
    type: "integer",
    description:
      "Port of nginx's stub_status, published on 127.0.0.1 only, for the metrics exporter.",
    default: 8081,
    schema: field.port,
  }),
} as const;
