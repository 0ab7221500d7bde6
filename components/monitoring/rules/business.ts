import { INTERVALS, THRESHOLDS } from "../contract";
import { JOBS, sel } from "../selectors";
import { RuleArea } from "./model";

const backend = sel({ job: JOBS.backend });

/** Customers: activity and churn, for #customer-success. */
export const businessRules: RuleArea = {
  name: "business",
  interval: INTERVALS.default,
  rules: [
    {
      alert: "ActiveUsersDropped",
      expr: `sum(active_users${backend})
  < ${1 - THRESHOLDS.activeUsersDropRatio} * sum(active_users${backend} offset 1h)`,
      for: 600,
      severity: "warning",
      team: "customer-success",
      summary: `Active users fell by more than ${THRESHOLDS.activeUsersDropRatio * 100} % within an hour`,
      description: "{{ $value }} users are active, against more than they were an hour ago.",
    },
    {
      alert: "ChurnRateRising",
      expr: `max(customer_churn_rate${backend})
  > ${1 + THRESHOLDS.churnRiseRatio} * max(customer_churn_rate${backend} offset 1w)`,
      for: 3600,
      severity: "warning",
      team: "customer-success",
      summary: `Churn rate up more than ${THRESHOLDS.churnRiseRatio * 100} % on last week`,
      description: "Customer churn rate is {{ $value | humanizePercentage }}, above last week's.",
    },
  ],
};
