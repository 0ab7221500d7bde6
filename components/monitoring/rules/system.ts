import { INTERVALS, THRESHOLDS } from "../contract";
import { JOBS, ROOT_FILESYSTEM, sel } from "../selectors";
import { heldAlert, RuleArea } from "./model";

const node = sel({ job: JOBS.node });

/** The host: the runbook's CPU, memory and disk thresholds. */
export const systemRules: RuleArea = {
  name: "system",
  interval: INTERVALS.default,
  rules: [
    heldAlert({
      alert: "HostHighCpuUsage",
      expr: `100 * (
  1 - avg by (instance) (rate(node_cpu_seconds_total{job="${JOBS.node}",mode="idle"}[5m]))
) > ${THRESHOLDS.cpuPercent}`,
      for: 300,
      severity: "warning",
      team: "platform",
      summary: `CPU above ${THRESHOLDS.cpuPercent} % on {{ $labels.instance }}`,
      describe: (held) => `CPU has been {{ $value | printf "%.0f" }} % busy for ${held}.`,
    }),
    heldAlert({
      alert: "HostHighMemoryUsage",
      expr: `100 * (
  1 - node_memory_MemAvailable_bytes${node} / node_memory_MemTotal_bytes${node}
) > ${THRESHOLDS.memoryPercent}`,
      for: 300,
      severity: "warning",
      team: "platform",
      summary: `Memory above ${THRESHOLDS.memoryPercent} % on {{ $labels.instance }}`,
      describe: (held) => `{{ $value | printf "%.0f" }} % of memory has been in use for ${held}.`,
    }),
    {
      alert: "HostDiskSpaceLow",
      expr: `100 * node_filesystem_avail_bytes${ROOT_FILESYSTEM}
  / node_filesystem_size_bytes${ROOT_FILESYSTEM} < ${THRESHOLDS.diskFreePercent}`,
      for: 300,
      severity: "critical",
      team: "platform",
      summary: `Less than ${THRESHOLDS.diskFreePercent} % disk free on {{ $labels.instance }}`,
      description:
        'Only {{ $value | printf "%.1f" }} % of {{ $labels.mountpoint }} is free; Postgres stops when it fills.',
    },
  ],
};
