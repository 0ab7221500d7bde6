import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { scheduleProblem } from "../backup/schedule";
import { parseSize, SIZE_PATTERN, sizeBytes } from "./sizes";

/** A TCP port a service can listen on. */
export const port = z
  .number()
  .int("must be a whole number")
  .min(1, "must be a port from 1 to 65535")
  .max(65535, "must be a port from 1 to 65535");

/**
 * A memory size with its unit, e.g. `512m` or `2g`, of at least `minimum` (written the same way).
 * `reason` ends the message and says where the minimum comes from.
 */
export function sizeAtLeast(minimum: string, reason: string) {
  const floor = sizeBytes(minimum);
  return z
    .string()
    .regex(SIZE_PATTERN, "must be a size with a unit, such as 256m or 2g (k, m or g)")
    .refine((text) => (parseSize(text) ?? floor) >= floor, {
      message: `must be at least ${minimum}${reason}`,
    });
}

/**
 * A container's memory limit. Docker refuses less than 6 MB, and the provider's whole megabytes
 * would turn anything under one into 0, which Docker reads as no limit at all.
 */
export const containerMemory = sizeAtLeast("6m", ", the smallest memory limit Docker accepts");

/** An image repository without tag or digest, e.g. `postgis/postgis` or `ghcr.io/acme/api`. */
export const imageRepository = z
  .string()
  .regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
    "must be an image repository in lower case, without tag or digest, such as ghcr.io/acme/api",
  );

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** An image tag or digest; `latest` moves under us, so it is refused. */
export const imageTag = z
  .string()
  .refine((tag) => tag.toLowerCase() !== "latest", {
    message: "must pin a version or a sha256 digest; 'latest' changes without a deploy",
  })
  .refine((tag) => TAG.test(tag) || DIGEST.test(tag), {
    message: "must be a tag such as 1.4.2 or a digest such as sha256:<64 hex digits>",
  });

const NOT_AN_ADDRESS =
  "must be an IP address or CIDR block, such as 203.0.113.7 or 198.51.100.0/24";

/**
 * Why nginx's geo module would not take `text` as it stands, or undefined when it would. The
 * forms follow nginx's own parser (ngx_ptocidr), checked against Debian's nginx 1.22.
 */
function denyEntryProblem(text: string): string | undefined {
  // ipaddr.js takes a zone id (fe80::1%eth0); nginx answers "invalid network".
  if (text.includes("%")) {
    return "must not carry a zone id such as %eth0: nginx reads plain addresses only";
  }
  const [address, prefix, ...rest] = text.split("/");
  // ipaddr.js also takes forms such as "10.1" or "0x0a.0.0.1" that nginx's geo module refuses.
  const dotted = ipaddr.IPv4.isValidFourPartDecimal(address);
  if (!dotted && !ipaddr.IPv6.isValid(address)) {
    return NOT_AN_ADDRESS;
  }
  // An IPv4 tail of an IPv6 address is read by nginx as dotted decimal only.
  if (!dotted && address.includes(".")) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(address.slice(address.lastIndexOf(":") + 1))) {
      return NOT_AN_ADDRESS;
    }
  }
  if (prefix !== undefined) {
    if (rest.length > 0 || !/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > (dotted ? 32 : 128)) {
      return NOT_AN_ADDRESS;
    }
    if (Number(prefix) === 0) {
      return "must not be a /0 block: it would refuse every client";
    }
    // nginx parses the address with inet_addr, whose error value is 255.255.255.255 itself.
    if (address === "255.255.255.255") {
      return "must be written without a prefix: nginx cannot read 255.255.255.255 with one";
    }
  }
  // nginx lets "::" stand for two or more zero groups at the end, not for the last one alone.
  if (!dotted && /^([0-9a-f]{1,4}:){7}:$/i.test(address)) {
    return 'must write a last zero group as 0, not as "::", which nginx refuses';
  }
  return undefined;
}

/** An IPv4 or IPv6 address, or a CIDR block of either, in the forms nginx's deny list reads. */
export const ipOrCidr = z.string().superRefine((text, context) => {
  const problem = denyEntryProblem(text);
  if (problem !== undefined) {
    context.addIssue({ code: "custom", message: problem });
  }
});

/** An IPv4 CIDR block for a private Docker network. */
export const privateSubnet = z.string().refine(
  (text) => {
    if (!ipaddr.IPv4.isValidCIDR(text)) {
      return false;
    }
    const [address, bits] = ipaddr.IPv4.parseCIDR(text);
    return address.range() === "private" && bits >= 16 && bits <= 28;
  },
  { message: "must be a private IPv4 CIDR block from /16 to /28, such as 172.28.1.0/24" },
);

/** A DNS name for the public site. */
export const hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
    "must be a lower-case DNS name such as app.example.com",
  );

/** A 5-field cron schedule in UTC, in the numeric forms the backup scheduler reads. */
export const cronSchedule = z.string().superRefine((text, context) => {
  const problem = scheduleProblem(text);
  if (problem !== undefined) {
    context.addIssue({ code: "custom", message: problem });
  }
});

/** An S3 bucket name, or empty where no bucket is used. */
export const bucketName = z
  .string()
  .regex(
    /^$|^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens",
  );

const HOURS_PER_UNIT: Record<string, number> = { h: 1, d: 24, w: 7 * 24, y: 365 * 24 };

/**
 * Prometheus's retention may not go below a week and a day: the churn alert compares the churn
 * rate with a week ago (`offset 1w`), and a shorter retention leaves it nothing to compare with.
 */
export const MIN_PROMETHEUS_RETENTION_HOURS = 8 * 24;

/** How long Prometheus keeps samples, in hours, days, weeks or years (a year is 365 days there). */
export const prometheusRetention = z
  .string()
  .regex(/^[1-9][0-9]*(h|d|w|y)$/, "must be a duration in hours, days, weeks or years, such as 15d")
  .refine(
    (text) => {
      const match = /^([0-9]+)([hdwy])$/.exec(text);
      return (
        !match || Number(match[1]) * HOURS_PER_UNIT[match[2]] >= MIN_PROMETHEUS_RETENTION_HOURS
      );
    },
    {
      message:
        `must be at least ${MIN_PROMETHEUS_RETENTION_HOURS / 24}d (${MIN_PROMETHEUS_RETENTION_HOURS}h): ` +
        "the churn alert compares with a week ago (offset 1w)",
    },
  );

/** A table named with its schema, in the lower case PostgreSQL folds unquoted names to. */
export const qualifiedTable = z
  .string()
  .regex(
    /^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$/,
    "must be a table named with its schema, in lower case, such as public.pickups",
  );
