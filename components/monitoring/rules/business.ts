import { INTERVALS, THRESHOLDS } from "../contract";
import { JOBS, sel } from "../selectors";
import { RuleArea } from "./model";

const backend = sel({ job: JOBS.backend });
const users = `sum(active_users${backend})`;
/** The share by which active users fell against `offset` earlier; negative when they rose. */
const usersDrop = (offset: string) => `1 - ${users} / sum(active_users${backend} offset ${offset})`;

/** Customers: activity and churn, for #customer-success. */
export const businessRules: RuleArea = {
  name: "business",
  interval: INTERVALS.default,
  rules: [
    {
      // Evenings fall by more than a fifth every day: the drop must also show against the same
      // time a week before. Without a week of history the weekly side is empty, and the hourly
      // drop alone decides.
      alert: "ActiveUsersDropped",
      expr: `${usersDrop("1h")} > ${THRESHOLDS.activeUsersDropRatio}
unless
${usersDrop("1w")} <= ${THRESHOLDS.activeUsersDropRatio}`,
      for: 600,
      severity: "warning",
      team: "customer-success",
      summary: `Active users fell by more than ${THRESHOLDS.activeUsersDropRatio * 100} % within an hour, unlike last week`,
      description: `Active users fell by {{ $value | humanizePercentage }} within the hour, and are more than ${THRESHOLDS.activeUsersDropRatio * 100} % below the same time last week too (or there is no week of history yet).`,
    },
    {
      alert: "ChurnRateRising",
      expr: `max(customer_churn_rate${backend})
  > ${1 + THRESHOLDS.churnRiseRatio} * max(customer_churn_rate${backend} offset 1w)
and
max(customer_churn_rate${backend}) > ${THRESHOLDS.churnRateFloor}`,
      for: 3600,
      severity: "warning",
      team: "customer-success",
      summary: `Churn rate up more than ${THRESHOLDS.churnRiseRatio * 100} % on last week, and above ${THRESHOLDS.churnRateFloor * 100} %`,
      description: "Customer churn rate is {{ $value | humanizePercentage }}, above last week's.",
    },
  ],
};
