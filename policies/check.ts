import { parseArgs } from "node:util";
import { revealSecrets } from "../render/engine";
import { knownStacks, ROOT } from "../render/stack-config";
import { evaluateStack } from "../render/stack-program";
import { evaluatePolicies, Violation } from "./evaluate";
import { RUNBOOK_POLICIES } from "./runbook-policies";

const USAGE = "Usage: npm run policy -- <stack> [--stack-dir DIR]";

function describe(violation: Violation): string {
  const where = violation.urn ? `\n      at ${violation.urn}` : "";
  return `  [${violation.enforcementLevel}] ${violation.policy}: ${violation.message}${where}`;
}

/**
 * The policy pack's verdict on a stack without the Pulumi CLI: the program evaluated on the mock
 * engine, as `npm run render` does, and every runbook policy run over its resources.
 */
async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { "stack-dir": { type: "string" } },
  });
  const stackDir = values["stack-dir"] ?? ROOT;
  const [stack] = positionals;
  if (!stack || positionals.length > 1) {
    throw new Error(`${USAGE}\nStacks: ${knownStacks(stackDir).join(", ")}`);
  }
  const { resources } = await evaluateStack(stack, stackDir);
  const plain = resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    props: revealSecrets(r.inputs) as Record<string, unknown>,
  }));
  const violations = await evaluatePolicies(plain, RUNBOOK_POLICIES);
  const blocking = violations.filter((v) => v.enforcementLevel !== "advisory");
  const lines = [
    `Policy pack waste-management-runbook on stack '${stack}': ` +
      `${RUNBOOK_POLICIES.length} policies over ${plain.length} resources, ` +
      `${violations.length} violations (${blocking.length} blocking).`,
    ...violations.map(describe),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  process.exitCode = blocking.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`policy check failed:\n${message}\n`);
  process.exitCode = 2;
});
