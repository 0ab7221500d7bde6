import { z } from "zod";
import * as field from "../fields";
import { setting } from "./setting";

/**
 * The images and memory of the web tier's containers: the backend (with its database pool), the
 * frontend and nginx.
 */
export const APP_SETTINGS = {
  backendImage: setting({
    type: "string",
    description: "Backend API image repository.",
    default: "ghcr.io/waste-management/backend",
    schema: field.imageRepository,
  }),
  backendTag: setting({
    type: "string",
    description: "Backend API image tag or sha256 digest.",
    default: "1.0.0",
    schema: field.imageTag,
  }),
  backendMemory: setting({
    type: "string",
    description: "Memory limit of the backend container.",
    default: "1g",
    schema: field.containerMemory,
  }),
  backendDbPoolMax: setting({
    type: "integer",
    description: "DB_POOL_MAX of the backend; the runbook raises it when the pool is exhausted.",
    default: 20,
    schema: z.number().int().min(1, "must be at least 1").max(1000, "must be at most 1000"),
  }),
  frontendImage: setting({
    type: "string",
    description: "Frontend image repository.",
    default: "ghcr.io/waste-management/frontend",
    schema: field.imageRepository,
  }),
  frontendTag: setting({
    type: "string",
    description: "Frontend image tag or sha256 digest.",
    default: "1.0.0",
    schema: field.imageTag,
  }),
  frontendMemory: setting({
    type: "string",
    description: "Memory limit of the frontend container.",
    default: "512m",
    schema: field.containerMemory,
  }),
  nginxImage: setting({
    type: "string",
    description: "nginx image repository.",
    default: "nginx",
    schema: field.imageRepository,
  }),
  nginxTag: setting({
    type: "string",
    description: "nginx image tag or sha256 digest.",
    default: "1.27-alpine",
    schema: field.imageTag,
  }),
  nginxMemory: setting({
    type: "string",
    description: "Memory limit of the nginx container.",
    default: "256m",
    schema: field.containerMemory,
  }),
} as const;
