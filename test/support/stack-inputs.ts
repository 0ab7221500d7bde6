import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { isSecretValue } from "../../render/engine";
import { evaluateStack } from "../../render/stack-program";
import { run } from "./processes";

const ROOT = path.join(__dirname, "..", "..");

/** One registered resource with its inputs in plain text, each secret as `{ secret: value }`. */
export interface StackResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

function markSecrets(value: unknown): unknown {
  if (isSecretValue(value)) {
    return { secret: markSecrets(value.value) };
  }
  if (Array.isArray(value)) {
    return value.map(markSecrets);
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markSecrets(v)]));
  }
  return value;
}

/**
 * Evaluates `Pulumi.<stack>.yaml` of `stackDir` on the mock engine in a process of its own (Node
 * loads the program once per process, and the suites share the dev stack's) and returns every
 * resource with its secrets readable but marked.
 */
export async function evaluatedStack(stack: string, stackDir: string): Promise<StackResource[]> {
  const out = path.join(stackDir, `${stack}.resources.json`);
  const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
  const result = await run(tsNode, ["-T", __filename, stack, stackDir, out], { timeoutMs: 60000 });
  assert.equal(result.code, 0, `evaluating ${stack} failed:\n${result.stderr}`);
  return JSON.parse(fs.readFileSync(out, "utf8")) as StackResource[];
}

async function main(stack: string, stackDir: string, out: string): Promise<void> {
  const { resources } = await evaluateStack(stack, stackDir);
  const entries = resources.map((r) => ({
    type: r.type,
    name: r.name,
    inputs: markSecrets(r.inputs),
  }));
  fs.writeFileSync(out, JSON.stringify(entries));
}

if (require.main === module) {
  const [stack, stackDir, out] = process.argv.slice(2);
  main(stack, stackDir, out).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
