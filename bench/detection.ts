import { execFileSync } from "node:child_process";
import * as os from "node:os";
import { parseArgs } from "node:util";
import { RESPONSE_BUDGETS } from "../components/monitoring/contract";
import { Detection, worstCaseDetections } from "../components/monitoring/detection";
import {
  DRILL_ALERTS,
  DRILL_SECRETS,
  DrillAlert,
  MonitoringDrill,
} from "../test/support/monitoring-drill";
import { readRendered, renderedRuleFiles, renderedStack } from "../test/support/rendered";

// Measures the dev stack's time to page for the runbook's budgeted outages, by running the live
// drill several rounds, and prints the figures beside the budgets and the computed worst case.
const USAGE = "Usage: npm run bench:detection -- [--rounds N]";

function version(binary: string, flag = "--version"): string {
  try {
    const text = execFileSync(binary, [flag], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return text.split("\n")[0].trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    return stderr.split("\n")[0].trim() || "unknown";
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`--rounds must be a whole number of at least 1\n${USAGE}`);
  }
  const rendered = await renderedStack("dev", DRILL_SECRETS);
  const models = new Map<string, Detection>(
    worstCaseDetections({
      prometheus: readRendered(rendered, "monitoring/prometheus.yml"),
      alertmanager: readRendered(rendered, "monitoring/alertmanager.yml"),
      rules: [...renderedRuleFiles(rendered).values()],
    }).map((d) => [d.alert, d]),
  );

  const held = new Map<DrillAlert, number[]>(DRILL_ALERTS.map((alert) => [alert, []]));
  const drill = await MonitoringDrill.start(rendered);
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const alert of DRILL_ALERTS) {
        const secondsHeld = await drill.measure(alert, RESPONSE_BUDGETS[alert]);
        held.get(alert)?.push(secondsHeld);
        console.error(`round ${round}/${rounds}: ${alert} held after ${secondsHeld.toFixed(1)} s`);
      }
    }
  } finally {
    await drill.stop();
  }

  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(`Detection drill, dev stack, ${rounds} rounds, ${os.cpus().length} x ${cpu}`);
  console.log(
    `Tools: ${version("/usr/bin/prometheus")}; ${version("/usr/bin/prometheus-alertmanager")}`,
  );
  console.log("Seconds from the outage until Alertmanager holds the alert (held), plus group_wait");
  console.log("= time to page, against the rendered worst case and the runbook's budget:");
  console.log(
    "  alert          held min / median / max   group_wait   page max   worst case   budget",
  );
  for (const alert of DRILL_ALERTS) {
    const times = held.get(alert) ?? [];
    const model = models.get(alert);
    const wait = model?.groupWait ?? 0;
    const cells = [Math.min(...times), median(times), Math.max(...times)].map((t) => t.toFixed(1));
    console.log(
      `  ${alert.padEnd(14)} ${cells.join(" / ").padStart(22)}   ${String(wait).padStart(10)}` +
        `   ${(Math.max(...times) + wait).toFixed(1).padStart(8)}   ${String(model?.total).padStart(10)}` +
        `   ${String(RESPONSE_BUDGETS[alert]).padStart(6)}`,
    );
  }
  console.log(`Reproduce: npm run bench:detection -- --rounds ${rounds}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
