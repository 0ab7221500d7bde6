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
    process.stdout.write(`# ${step.why}\n${step.argv.join(" ")}\n`);
    if (argv.includes("--dry-run")) {
      continue;
    }
    const result = spawnSync(step.argv[0], step.argv.slice(1), { stdio: "inherit" });
    if (result.status !== 0) {
      const why = result.error ? result.error.message : `exit status ${result.status}`;
      process.stderr.write(`ops: '${step.argv.join(" ")}' failed (${why}); later steps not run\n`);
      return 1;
    }
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
