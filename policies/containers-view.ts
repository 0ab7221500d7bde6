/**
 * The slice of a Docker container's inputs the runbook's policies read. The policy SDK hands
 * inputs over as plain JSON, with secrets already unwrapped.
 */
import { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";

export const CONTAINER_TYPE = "docker:index/container:Container";

export interface ContainerPort {
  internal?: number;
  external?: number;
  ip?: string;
  protocol?: string;
}

export interface ContainerHealthcheck {
  tests?: string[];
  timeout?: string;
  interval?: string;
}

export interface ContainerUpload {
  file?: string;
  content?: string;
}

export interface ContainerProps {
  name?: string;
  image?: string;
  ports?: ContainerPort[];
  healthcheck?: ContainerHealthcheck;
  privileged?: boolean;
  memory?: number;
  restart?: string;
  uploads?: ContainerUpload[];
  command?: string[];
}

/** The name a container runs under, or the resource's own name when it sets none. */
export function containerName(props: ContainerProps, resourceName: string): string {
  return props.name ?? resourceName;
}

/** The content of the file uploaded at `path`, or undefined when there is none. */
export function uploadedFile(props: ContainerProps, path: string): string | undefined {
  return props.uploads?.find((upload) => upload.file === path)?.content;
}

/** The uploaded files whose path matches a glob with `*` (no `/` inside one), as path and content. */
export function uploadsMatching(
  props: ContainerProps,
  glob: string,
): { file: string; content: string }[] {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*");
  const pattern = new RegExp(`^${escaped}$`);
  return (props.uploads ?? []).flatMap((upload) =>
    upload.file !== undefined && upload.content !== undefined && pattern.test(upload.file)
      ? [{ file: upload.file, content: upload.content }]
      : [],
  );
}

/**
 * The value the container's command gives a setting, in either of the forms `--name=value`
 * (Prometheus) and `name=value` (Postgres's `-c`), or undefined.
 */
export function commandSetting(props: ContainerProps, name: string): string | undefined {
  const prefixes = [`--${name}=`, `${name}=`];
  for (const word of props.command ?? []) {
    const prefix = prefixes.find((p) => word.startsWith(p));
    if (prefix !== undefined) {
      return word.slice(prefix.length);
    }
  }
  return undefined;
}

/** Seconds of a Docker duration such as `5s`, `1m30s` or `500ms`; undefined when unreadable. */
export function durationSeconds(duration: string | undefined): number | undefined {
  if (duration === undefined) {
    return undefined;
  }
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== duration) {
    return undefined;
  }
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
  return parts.reduce((total, p) => total + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}

/** Whether a published port listens only on the host's loopback interface. */
export function onLoopback(port: ContainerPort): boolean {
  return port.ip === "127.0.0.1" || port.ip === "::1" || port.ip === "localhost";
}

/**
 * A resource validation that runs on Docker containers only, handed their inputs and the name
 * they run under besides the engine's arguments.
 */
export function validateContainer(
  validate: (
    props: ContainerProps,
    name: string,
    reportViolation: ReportViolation,
    args: ResourceValidationArgs,
  ) => void,
): ResourceValidation {
  return (args, reportViolation) => {
    if (args.type !== CONTAINER_TYPE) {
      return;
    }
    const props = args.props as ContainerProps;
    validate(props, containerName(props, args.name), reportViolation, args);
  };
}
