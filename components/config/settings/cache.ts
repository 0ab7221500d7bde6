import { z } from "zod";
import * as field from "../fields";
import { optionalSecret, setting } from "./setting";

// Redis takes any positive maxmemory, but with less than a megabyte it evicts almost at once.
const redisMaxMemory = field.sizeAtLeast(
  "1m",
  ": below that Redis evicts nearly every key it is given",
);

/** Redis: its image, memory, eviction and the app user's password. */
export const CACHE_SETTINGS = {
  redisImage: setting({
    type: "string",
    description: "Redis image repository.",
    default: "redis",
    schema: field.imageRepository,
  }),
  redisTag: setting({
    type: "string",
    description: "Redis image tag (major version 7) or sha256 digest.",
    default: "7.2-alpine",
    schema: field.imageTag,
  }),
  redisMemory: setting({
    type: "string",
    description: "Memory limit of the Redis container; must exceed redisMaxMemory.",
    default: "512m",
    schema: field.containerMemory,
  }),
  redisMaxMemory: setting({
    type: "string",
    description: "Redis maxmemory, the data size at which the eviction policy applies.",
    default: "256m",
    schema: redisMaxMemory,
  }),
  redisEvictionPolicy: setting({
    type: "string",
    description: "Redis maxmemory-policy.",
    default: "allkeys-lru",
    schema: z.enum([
      "noeviction",
      "allkeys-lru",
      "allkeys-lfu",
      "allkeys-random",
      "volatile-lru",
      "volatile-lfu",
      "volatile-random",
      "volatile-ttl",
    ]),
  }),
  redisPassword: setting({
    type: "string",
    description: "Password of the Redis app user; empty means one is generated. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
} as const;
