import type { SyntaxNode } from "@lezer/common";
import type { LRParser } from "@lezer/lr";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { renderedRuleFiles } from "./rendered";

// lezer-promql's types are those of its ES module build; Node loads its CommonJS build here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require("@prometheus-io/lezer-promql") as { parser: LRParser };

/** What the PromQL parser of Prometheus's own UI makes of one expression. */
export interface ParsedExpression {
  /** Each syntax error, with the text around it. */
  errors: string[];
  /** Metric names of every vector selector, in order. */
  metrics: string[];
  /** Vector selectors that name no metric, such as `{job="x"}`. */
  nameless: string[];
  /** Metric names read by a function meant for counters (rate, irate, increase, resets). */
  readAsCounter: string[];
  /** Metric names read by a function meant for gauges (delta, deriv, predict_linear). */
  readAsGauge: string[];
}

const COUNTER_FUNCTIONS = new Set(["rate", "irate", "increase", "resets"]);
const GAUGE_FUNCTIONS = new Set(["delta", "idelta", "deriv", "predict_linear"]);

/** The function whose range argument `node` (a vector selector) is, if it is one. */
function enclosingFunction(expr: string, node: SyntaxNode): string | undefined {
  let up = node.parent;
  while (up && ["MatrixSelector", "OffsetExpr", "FunctionCallBody"].includes(up.name)) {
    up = up.parent;
  }
  const identifier = up?.name === "FunctionCall" ? up.getChild("FunctionIdentifier") : null;
  return identifier ? expr.slice(identifier.from, identifier.to) : undefined;
}

export function parsePromql(expr: string): ParsedExpression {
  const result: ParsedExpression = {
    errors: [],
    metrics: [],
    nameless: [],
    readAsCounter: [],
    readAsGauge: [],
  };
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) {
        const around = expr.slice(Math.max(0, node.from - 20), node.to + 20);
        result.errors.push(`at ${node.from}: …${around}…`);
      }
      if (node.name !== "VectorSelector") {
        return;
      }
      const identifier = node.node.getChild("Identifier");
      if (identifier) {
        const metric = expr.slice(identifier.from, identifier.to);
        result.metrics.push(metric);
        const fn = enclosingFunction(expr, node.node) ?? "";
        if (COUNTER_FUNCTIONS.has(fn)) {
          result.readAsCounter.push(metric);
        } else if (GAUGE_FUNCTIONS.has(fn)) {
          result.readAsGauge.push(metric);
        }
      } else {
        result.nameless.push(expr.slice(node.from, node.to));
      }
    },
  });
  return result;
}

/** One PromQL expression the stack ships, and where it is. */
export interface ShippedExpression {
  where: string;
  expr: string;
}

interface RuleFile {
  groups: { rules: { alert: string; expr: string }[] }[];
}

/** Every alert rule's expression in a rendered stack. */
export function ruleExpressions(out: string): ShippedExpression[] {
  return [...renderedRuleFiles(out)].flatMap(([area, text]) =>
    (parse(text) as RuleFile).groups.flatMap((group) =>
      group.rules.map((rule) => ({ where: `rules/${area}.yml ${rule.alert}`, expr: rule.expr })),
    ),
  );
}

/** A panel of a dashboard model, rows included; rows hold their panels when collapsed. */
export interface DashboardPanel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: {
    expr: string;
    refId: string;
    legendFormat?: string;
    instant?: boolean;
    format?: string;
    datasource?: { type?: string; uid?: string };
  }[];
  fieldConfig?: {
    defaults: {
      unit?: string;
      thresholds?: { mode: string; steps: { value: number | null; color: string }[] };
    };
  };
  panels?: DashboardPanel[];
}

export interface DashboardModel {
  uid: string;
  title: string;
  refresh: string;
  editable: boolean;
  panels: DashboardPanel[];
}

/** The rendered dashboards of a stack, by uid. */
export function renderedDashboards(out: string): Map<string, DashboardModel> {
  const dir = path.join(out, "dashboards");
  return new Map(
    fs
      .readdirSync(dir)
      .sort()
      .map((file) => {
        const model = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as DashboardModel;
        return [path.basename(file, ".json"), model];
      }),
  );
}

/** Every panel that is not a row, at any depth. */
export function panelsOf(model: DashboardModel): DashboardPanel[] {
  const walk = (panels: DashboardPanel[]): DashboardPanel[] =>
    panels.flatMap((panel) =>
      panel.type === "row" ? walk(panel.panels ?? []) : [panel, ...walk(panel.panels ?? [])],
    );
  return walk(model.panels);
}

/** Every query of every rendered dashboard. */
export function dashboardExpressions(out: string): ShippedExpression[] {
  return [...renderedDashboards(out)].flatMap(([uid, model]) =>
    panelsOf(model).flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        where: `dashboards/${uid}.json "${panel.title}" ${target.refId}`,
        expr: target.expr,
      })),
    ),
  );
}
