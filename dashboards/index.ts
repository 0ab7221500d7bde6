import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { databasePerformance } from "./database-performance";
import { productionOverview } from "./production-overview";
import { servicesDashboard } from "./services";

export { DATASOURCE } from "./panels";

/** What the dashboards need from the stack's configuration. */
export interface DashboardInput {
  /** The backend's DB_POOL_MAX, which the pool panels measure against. */
  poolMax: number;
}

/** One built dashboard: its uid and the model Grafana stores. */
export interface BuiltDashboard {
  uid: string;
  model: dashboard.Dashboard;
}

/** Numbers rows and panels from 1 in layout order, so that links to a panel stay the same. */
function numberPanels(model: dashboard.Dashboard): dashboard.Dashboard {
  let next = 1;
  const panels = (model.panels ?? []).map((panel) => ({ ...panel, id: next++ }));
  return { ...model, panels };
}

/** Every dashboard of the stack, in the order the runbook names them. */
export function buildDashboards(input: DashboardInput): BuiltDashboard[] {
  return [productionOverview(), databasePerformance(input.poolMax), servicesDashboard()].map(
    (model) => ({ uid: model.uid ?? "", model: numberPanels(model) }),
  );
}

/** The JSON Grafana imports: the same bytes the stack sends and the render writes. */
export function dashboardJson(model: dashboard.Dashboard): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}
