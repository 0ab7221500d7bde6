import { INTERVALS, THRESHOLDS } from "../contract";
import { duration, spokenDuration } from "../duration";
import { JOBS, sel } from "../selectors";
import { RuleArea } from "./model";

const backend = sel({ job: JOBS.backend });
/** Seconds of traffic each API alert looks at. */
const WINDOW = 300;
const range = `[${duration(WINDOW)}]`;

/** The API's latency and errors, from the backend's own metrics. */
export const apiRules: RuleArea = {
  name: "api",
  interval: INTERVALS.default,
  rules: [
    {
      alert: "ApiLatencyHigh",
      expr: `histogram_quantile(
  0.95,
  sum by (le) (rate(http_request_duration_seconds_bucket${backend}${range}))
) > ${THRESHOLDS.apiP95Seconds}`,
      for: 300,
      severity: "critical",
      team: "platform",
      summary: `API p95 latency above ${THRESHOLDS.apiP95Seconds} s`,
      description: `95 % of API requests took up to {{ $value | humanizeDuration }} over ${spokenDuration(WINDOW)}.`,
    },
    {
      alert: "ApiErrorRateHigh",
      expr: `sum(rate(http_requests_total{job="${JOBS.backend}",status=~"5.."}${range}))
  / sum(rate(http_requests_total${backend}${range})) > ${THRESHOLDS.apiErrorRatio}`,
      for: 300,
      severity: "critical",
      team: "platform",
      summary: `More than ${THRESHOLDS.apiErrorRatio * 100} % of API requests fail`,
      description: `{{ $value | humanizePercentage }} of API requests answered 5xx over ${spokenDuration(WINDOW)}.`,
    },
  ],
};
