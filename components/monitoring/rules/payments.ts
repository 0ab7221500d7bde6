import { INTERVALS, THRESHOLDS } from "../contract";
import { duration, spokenDuration } from "../duration";
import { JOBS, sel } from "../selectors";
import { RuleArea } from "./model";

/** Seconds of the window payment attempts are counted over: a minute's worth of traffic. */
export const PAYMENT_WINDOW = 60;

const window = `[${duration(PAYMENT_WINDOW)}]`;
const attempts = `payment_attempts_total${sel({ job: JOBS.backend })}`;
const failures = `payment_attempts_total${sel({ job: JOBS.backend, outcome: "failure" })}`;

/**
 * Payments: the runbook gives failures 30 seconds to reach #critical-incidents, so the rule holds
 * for nothing (no `for`), and a minimum of attempts keeps a quiet night's bad luck from paging.
 */
export const paymentRules: RuleArea = {
  name: "payments",
  interval: INTERVALS.realtime,
  rules: [
    {
      alert: "PaymentFailuresHigh",
      expr: `sum(rate(${failures}${window}))
  / sum(rate(${attempts}${window})) > ${THRESHOLDS.paymentFailureRatio}
and
sum(increase(${attempts}${window})) >= ${(THRESHOLDS.paymentMinAttemptsPerMinute * PAYMENT_WINDOW) / 60}`,
      for: 0,
      severity: "critical",
      team: "payments",
      summary: `More than ${THRESHOLDS.paymentFailureRatio * 100} % of payment attempts fail`,
      description: `{{ $value | humanizePercentage }} of payment attempts failed over ${spokenDuration(PAYMENT_WINDOW)}.`,
    },
  ],
};
