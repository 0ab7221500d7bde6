import * as path from "node:path";
import {
  evaluateProgram,
  installMockEngine,
  RecordedResource,
  revealSecrets,
} from "../../render/engine";
import { readStackConfig } from "../../render/stack-config";

export interface EvaluatedProgram {
  resources: RecordedResource[];
  outputs: Record<string, unknown> | undefined;
}

let evaluation: Promise<EvaluatedProgram> | undefined;

/**
 * The dev stack evaluated once on Pulumi's mock engine, with Pulumi.dev.yaml's config. Node loads
 * a module once per process, so every spec shares this one evaluation.
 */
export function devProgram(): Promise<EvaluatedProgram> {
  evaluation ??= (async () => {
    const config = readStackConfig("dev");
    const resources = await installMockEngine(
      config.project,
      "dev",
      config.values,
      config.secretKeys,
    );
    const outputs = await evaluateProgram(path.join(__dirname, "..", "..", "index"));
    return { resources, outputs };
  })();
  return evaluation;
}

/** The single resource named `name`, failing loudly when there is none or several. */
export function one(resources: RecordedResource[], name: string): RecordedResource {
  const found = resources.filter((r) => r.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one resource named ${name}, found ${found.length}`);
  }
  return found[0];
}

/** A resource's inputs with secret wrappers removed. */
export function plainInputs(resource: RecordedResource): Record<string, unknown> {
  return revealSecrets(resource.inputs) as Record<string, unknown>;
}

/** The resources of type `type`, in the order they were registered. */
export function ofType(resources: RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

/** The files uploaded into a container, by path, with secret wrappers removed. */
export function uploads(container: RecordedResource): Record<string, string> {
  const list = plainInputs(container).uploads as { file: string; content: string }[];
  return Object.fromEntries(list.map((u) => [u.file, u.content]));
}

/** A container's environment variables, by name, with secret wrappers removed. */
export function env(container: RecordedResource): Record<string, string> {
  const list = plainInputs(container).envs as string[];
  return Object.fromEntries(
    list.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
  );
}
