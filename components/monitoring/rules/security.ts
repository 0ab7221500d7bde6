import { INTERVALS, THRESHOLDS } from "../contract";
import { JOBS } from "../selectors";
import { RuleArea } from "./model";

/** Signs of attack: failed logins and bursts of refused requests at the edge. */
export const securityRules: RuleArea = {
  name: "security",
  interval: INTERVALS.default,
  rules: [
    {
      alert: "AuthFailuresSpike",
      expr: `60 * sum(rate(auth_login_attempts_total{job="${JOBS.backend}",outcome="failure"}[5m]))
  > ${THRESHOLDS.authFailuresPerMinute}`,
      for: 120,
      severity: "warning",
      team: "security",
      summary: "Failed logins are spiking",
      description:
        '{{ $value | printf "%.0f" }} failed logins a minute: look for one source to block.',
    },
    {
      alert: "Nginx4xxBurst",
      expr: `sum(rate(nginx_http_responses_total{job="${JOBS.nginxLog}",status=~"4.."}[1m]))
  > ${THRESHOLDS.nginx4xxPerSecond}`,
      for: 120,
      severity: "warning",
      team: "security",
      summary: "Burst of 4xx answers at nginx",
      description:
        'nginx answered {{ $value | printf "%.0f" }} client errors a second: scanning or abuse.',
    },
    {
      alert: "Nginx5xxBurst",
      expr: `sum(rate(nginx_http_responses_total{job="${JOBS.nginxLog}",status=~"5.."}[1m]))
  > ${THRESHOLDS.nginx5xxPerSecond}`,
      for: 60,
      severity: "critical",
      team: "platform",
      summary: "Burst of 5xx answers at nginx",
      description: 'nginx answered {{ $value | printf "%.0f" }} server errors a second.',
    },
  ],
};
