import { spawnSync } from "node:child_process";
import { parseOps, USAGE } from "./commands";

// `npm run ops -- <command>`: the runbook's backup, restore and verification commands, run on
// the stack's Docker host (DOCKER_HOST) in the containers the stack names.
function main(argv: string[]): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const parsed = parseOps(argv);
  if ("error" in parsed) {
    process.stderr.write(`ops: ${parsed.error}\n\n${USAGE}\n`);
    return 64;
  }
  for (const step of parsed.steps) {
    const check = step.expect === undefined ? "" : ` (must print ${step.expect})`;
    process.stdout.write(`# ${step.why}${check}\n${step.argv.join(" ")}\n`);
    if (argv.includes("--dry-run")) {
      continue;
    }
    const checking = step.expect !== undefined;
    const result = spawnSync(step.argv[0], step.argv.slice(1), {
      stdio: checking ? ["ignore", "pipe", "inherit"] : "inherit",
      encoding: "utf8",
    });
    if (result.status !== 0) {
      const why = result.error ? result.error.message : `exit status ${result.status}`;
      process.stderr.write(`ops: '${step.argv.join(" ")}' failed (${why}); later steps not run\n`);
      return 1;
    }
    const printed = checking ? result.stdout.trim() : undefined;
    if (printed !== step.expect) {
      process.stderr.write(
        `ops: '${step.argv.join(" ")}' printed '${printed}', not '${step.expect}': ` +
          `${step.why}; later steps not run\n`,
      );
      return 1;
    }
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
