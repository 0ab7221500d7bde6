import * as docker from "@pulumi/docker";

/** Loopback: every published port binds here unless the runbook needs it public. */
export const LOOPBACK = "127.0.0.1";

/** Seconds rendered the way Docker's health check fields read them. */
export function seconds(value: number): string {
  return `${value}s`;
}

/** A port published on the host's loopback interface only. */
export function loopbackPort(internal: number, external: number): docker.types.input.ContainerPort {
  return { internal, external, ip: LOOPBACK, protocol: "tcp" };
}

/**
 * The settings every container of the stack shares: restarted unless stopped by hand, a hard
 * memory limit without swap, never privileged, no new privileges, and bounded JSON logs so a
 * noisy service cannot fill the disk.
 */
export function hardenedContainerArgs(memoryMb: number): Partial<docker.ContainerArgs> {
  return {
    restart: "unless-stopped",
    memory: memoryMb,
    memorySwap: memoryMb,
    privileged: false,
    securityOpts: ["no-new-privileges:true"],
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "5" },
    init: true,
    mustRun: true,
  };
}

/** True when an image tag setting holds a digest (`sha256:…`) rather than a tag. */
export function isDigest(tag: string): boolean {
  return tag.startsWith("sha256:");
}

/** An image reference pinned by tag or digest. */
export function imageRef(repository: string, tag: string): string {
  return isDigest(tag) ? `${repository}@${tag}` : `${repository}:${tag}`;
}

/**
 * Resource options every container needs: containers carry fixed names (other containers and the
 * runbook's commands address them by name) and publish fixed ports, so a replacement must remove
 * the old container first. Pulumi's default, create-then-delete, would collide on both.
 */
export const FIXED_NAME: { deleteBeforeReplace: true } = { deleteBeforeReplace: true };
