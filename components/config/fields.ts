import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { scheduleProblem } from "../backup/schedule";
import { SIZE_PATTERN } from "./sizes";

/** A TCP port a service can listen on. */
export const port = z
  .number()
  .int("must be a whole number")
  .min(1, "must be a port from 1 to 65535")
  .max(65535, "must be a port from 1 to 65535");

/** A memory size with its unit, e.g. `512m` or `2g`. */
export const size = z
  .string()
  .regex(SIZE_PATTERN, "must be a size with a unit, such as 256m or 2g (k, m or g)");

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

/** An IPv4 or IPv6 address, or a CIDR block of either. */
export const ipOrCidr = z.string().refine(
  (text) => {
    const [address, prefix, ...rest] = text.split("/");
    // ipaddr.js also takes forms such as "10.1" or "0x0a.0.0.1" that nginx's geo module refuses.
    const dotted = ipaddr.IPv4.isValidFourPartDecimal(address);
    if (!dotted && !ipaddr.IPv6.isValid(address)) {
      return false;
    }
    if (prefix === undefined) {
      return true;
    }
    return (
      rest.length === 0 && /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (dotted ? 32 : 128)
    );
  },
  { message: "must be an IP address or CIDR block, such as 203.0.113.7 or 198.51.100.0/24" },
);

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

/** A table named with its schema, in the lower case PostgreSQL folds unquoted names to. */
export const qualifiedTable = z
  .string()
  .regex(
    /^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$/,
    "must be a table named with its schema, in lower case, such as public.pickups",
  );
