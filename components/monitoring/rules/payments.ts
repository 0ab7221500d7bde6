import { INTERVALS, THRESHOLDS } from "../contract";
import { JOBS, sel } from "../selectors";
import { RuleArea } from "./model";

const attempts = `payment_attempts_total${sel({ job: JOBS.backend })}`;

/** Payments: the runbook gives failures 30 seconds to reach #critical-incidents. */
export const paymentRules: RuleArea = {
  name: "payments",
  interval: INTERVALS.fast,
  rules: [
    {
      alert: "PaymentFailuresHigh",
      expr: `sum(rate(payment_attempts_total{job="${JOBS.backend}",outcome="failure"}[1m]))
  / sum(rate(${attempts}[1m])) > ${THRESHOLDS.paymentFailureRatio}`,
      for: 0,
      severity: "critical",
      team: "payments",
      summary: `More than ${THRESHOLDS.paymentFailureRatio * 100} % of payment attempts fail`,
      description:
        "{{ $value | humanizePercentage }} of payment attempts failed in the last minute.",
    },
  ],
};
