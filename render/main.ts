import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { RESPONSE_BUDGETS } from "../components/monitoring/contract";
import { worstCaseDetections } from "../components/monitoring/detection";
import { renderedFiles } from "../components/rendered-files";
import { RecordedResource, redactSecrets } from "./engine";
import { knownStacks, ROOT } from "./stack-config";
import { evaluateStack } from "./stack-program";

/** One entry of resources.json: what the policy pack and reviewers read. */
interface ResourceEntry {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  custom: boolean;
  inputs: unknown;
}

function toEntry(resource: RecordedResource): ResourceEntry {
  return {
    urn: resource.urn,
    type: resource.type,
    name: resource.name,
    parent: resource.parent ?? null,
    custom: resource.custom,
    inputs: redactSecrets(resource.inputs),
  };
}

async function resolve(content: pulumi.Input<string>): Promise<{ text: string; secret: boolean }> {
  const output = pulumi.output(content);
  const [text, secret] = await Promise.all([
    new Promise<string>((done) => output.apply((value) => done(value))),
    pulumi.isSecret(output),
  ]);
  return { text, secret };
}

/** Resources per component: the component's type and name, then the count of its children. */
function summary(resources: ResourceEntry[]): string[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const counts = new Map<string, number>();
  for (const resource of resources) {
    const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
    if (parent && !parent.custom && parent.type.startsWith("waste:")) {
      const label = `${parent.type} ${parent.name}`;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
  }
  return [...counts.entries()].map(([label, count]) => `  ${label.padEnd(44)} ${count}`);
}

const USAGE = "Usage: npm run render -- <stack> [--out DIR] [--stack-dir DIR]";

/** The budgeted emergencies' worst-case seconds to page, read back from the written files. */
function detectionSummary(outDir: string): string[] {
  const read = (file: string) => fs.readFileSync(path.join(outDir, "monitoring", file), "utf8");
  const rulesDir = path.join(outDir, "monitoring", "rules");
  const detections = worstCaseDetections({
    prometheus: read("prometheus.yml"),
    alertmanager: read("alertmanager.yml"),
    rules: fs.readdirSync(rulesDir).map((file) => read(path.join("rules", file))),
  });
  return [
    "Worst-case seconds to page (scrape + window + evaluation + for + group_wait) against the runbook:",
    ...Object.entries(RESPONSE_BUDGETS).map(([alert, budget]) => {
      const found = detections.find((d) => d.alert === alert);
      const total = found ? String(found.total) : "missing";
      return `  ${alert.padEnd(24)} ${total.padStart(4)} s of ${budget} s`;
    }),
  ];
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { out: { type: "string" }, "stack-dir": { type: "string" } },
  });
  const stackDir = values["stack-dir"] ?? ROOT;
  const [stack] = positionals;
  if (!stack || positionals.length > 1) {
    throw new Error(`${USAGE}\nStacks: ${knownStacks(stackDir).join(", ")}`);
  }
  const outDir = values.out ?? path.join(ROOT, "out", stack);
  const { config, resources: recorded } = await evaluateStack(stack, stackDir);

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const resources = recorded.map(toEntry);
  fs.writeFileSync(path.join(outDir, "resources.json"), `${JSON.stringify(resources, null, 2)}\n`);

  const written: string[] = ["resources.json"];
  for (const file of renderedFiles()) {
    const { text, secret } = await resolve(file.content);
    if (secret) {
      throw new Error(`${file.path} holds a secret; only files without secrets are rendered`);
    }
    fs.mkdirSync(path.dirname(path.join(outDir, file.path)), { recursive: true });
    fs.writeFileSync(path.join(outDir, file.path), text);
    written.push(file.path);
  }

  const lines = [
    `Rendered stack '${stack}' on Pulumi's mock engine into ${path.relative(process.cwd(), outDir) || "."}/`,
    `  ${resources.length} resources; files: ${written.join(", ")}`,
    "Resources per component:",
    ...summary(resources),
  ];
  lines.push(...detectionSummary(outDir));
  for (const standIn of config.standIns) {
    lines.push(`Stand-in used for ${standIn.key}: ${standIn.reason}.`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`render failed:\n${message}\n`);
  process.exitCode = 1;
});
