import { z } from "zod";
import { connectionsNeeded } from "../../postgres/connections";
import * as field from "../fields";
import { optionalSecret, setting } from "./setting";

// PostgreSQL's own floors: it refuses a smaller work_mem and will not start with less buffers.
const workMem = field.sizeAtLeast("64k", ", the smallest work_mem PostgreSQL accepts");
const sharedBuffers = field.sizeAtLeast(
  "128k",
  ", the smallest shared_buffers PostgreSQL starts with",
);

/** PostgreSQL with PostGIS: image, memory, server settings, admin port and superuser password. */
export const DATABASE_SETTINGS = {
  postgresImage: setting({
    type: "string",
    description: "PostgreSQL with PostGIS image repository.",
    default: "postgis/postgis",
    schema: field.imageRepository,
  }),
  postgresTag: setting({
    type: "string",
    description: "PostgreSQL image tag (major version 15) or sha256 digest.",
    default: "15-3.4",
    schema: field.imageTag,
  }),
  postgresMemory: setting({
    type: "string",
    description: "Memory limit of the Postgres container.",
    default: "2g",
    schema: field.containerMemory,
  }),
  postgresSharedBuffers: setting({
    type: "string",
    description: "PostgreSQL shared_buffers; keep it near a quarter of postgresMemory.",
    default: "512m",
    schema: sharedBuffers,
  }),
  postgresWorkMem: setting({
    type: "string",
    description: "PostgreSQL work_mem, per sort or hash in each query.",
    default: "8m",
    schema: workMem,
  }),
  postgresMaxConnections: setting({
    type: "integer",
    description: `PostgreSQL max_connections; must cover every role's connection limit and the superuser slots: backendDbPoolMax + ${connectionsNeeded(0)}.`,
    default: 100,
    schema: z.number().int().min(10, "must be at least 10").max(5000, "must be at most 5000"),
  }),
  postgresAdminPort: setting({
    type: "integer",
    description:
      "Port on 127.0.0.1 of the Docker host where Postgres is published for the provider.",
    default: 5432,
    schema: field.port,
  }),
  postgresPassword: setting({
    type: "string",
    description:
      "Superuser password; empty means one is generated and kept in state. Set with --secret.",
    default: "",
    schema: optionalSecret,
    secret: true,
  }),
} as const;
