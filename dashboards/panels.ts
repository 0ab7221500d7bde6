import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";

/** The Prometheus datasource the stack declares in Grafana, with this uid. */
export const DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;

/** The dashboard variable that picks the Prometheus datasource; it defaults to the stack's. */
const DATASOURCE_VARIABLE = "datasource";

/**
 * What every panel and query reads: the variable, not a fixed uid, so that the rendered JSON
 * imports into a Grafana whose Prometheus datasource has another uid.
 */
const PANEL_DATASOURCE = { type: DATASOURCE.type, uid: `\${${DATASOURCE_VARIABLE}}` } as const;

/** Grafana's unit ids that the house panels use; a panel cannot be built without one. */
export type Unit =
  | "percent"
  | "percentunit"
  | "s"
  | "d"
  | "bytes"
  | "reqps"
  | "ops"
  | "rowsps"
  | "cpm"
  | "short"
  | "none";

/** One PromQL query of a panel and the legend of its series. */
export interface Query {
  expr: string;
  legend: string;
}

/** Colour steps of a panel, from the lowest value up; values come from the monitoring contract. */
export interface Thresholds {
  base: Colour;
  steps: { from: number; colour: Colour }[];
}

type Colour = "green" | "orange" | "red";

/** Red from `limit` up: the alert fires above it. */
export function redAbove(limit: number): Thresholds {
  return { base: "green", steps: [{ from: limit, colour: "red" }] };
}

/** Red below `limit`: the alert fires under it. */
export function redBelow(limit: number): Thresholds {
  return { base: "red", steps: [{ from: limit, colour: "green" }] };
}

/** Red below `critical`, orange up to `warning`, green above: the two alerts of one figure. */
export function warnBelow(critical: number, warning: number): Thresholds {
  return {
    base: "red",
    steps: [
      { from: critical, colour: "orange" },
      { from: warning, colour: "green" },
    ],
  };
}

/** What every panel of the house style states. */
export interface PanelSpec {
  title: string;
  /** What the panel shows and where it comes from; Grafana shows it on the panel's (i). */
  description: string;
  unit: Unit;
  queries: Query[];
  thresholds?: Thresholds;
  /** Columns of the 24-column grid; 8 by default. */
  width?: number;
}

function thresholdsConfig(thresholds: Thresholds): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([
      { value: null, color: thresholds.base },
      ...thresholds.steps.map((step) => ({ value: step.from, color: step.colour })),
    ]);
}

/**
 * How a panel asks for its data: a graph over a range, the latest value of each series (stat),
 * or the latest values as one table. Grafana merges every series of a table-format query into
 * one frame with a single Value field, so only a table panel may ask for that shape: a stat panel
 * would reduce all series to one number and hide a down job behind an up one.
 */
type Shape = "range" | "latest" | "table";

function targets(queries: Query[], shape: Shape) {
  return queries.map((query, i) => {
    const target = new prometheus.DataqueryBuilder()
      .expr(query.expr)
      .legendFormat(query.legend)
      .refId(String.fromCharCode(65 + i))
      .datasource(PANEL_DATASOURCE);
    if (shape === "range") {
      return target.range().format(prometheus.PromQueryFormat.TimeSeries);
    }
    return target
      .instant()
      .format(
        shape === "table"
          ? prometheus.PromQueryFormat.Table
          : prometheus.PromQueryFormat.TimeSeries,
      );
  });
}

/** A graph over time; thresholds are drawn as dashed lines. */
export function timeSeries(spec: PanelSpec): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .unit(spec.unit)
    .datasource(PANEL_DATASOURCE)
    .targets(targets(spec.queries, "range"))
    .span(spec.width ?? 8)
    .height(8)
    .fillOpacity(10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    );
  if (spec.thresholds) {
    panel
      .thresholds(thresholdsConfig(spec.thresholds))
      .thresholdsStyle(
        new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
      );
  }
  return panel;
}

/** Up or down, as a word on a coloured background. */
const UP_DOWN: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: { "0": { text: "down", color: "red" }, "1": { text: "up", color: "green" } },
  },
];

/** The latest value of each series, large; `upDown` reads 0 and 1 as down and up. */
export function statPanel(spec: PanelSpec & { upDown?: boolean }): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .unit(spec.unit)
    .datasource(PANEL_DATASOURCE)
    .targets(targets(spec.queries, "latest"))
    .span(spec.width ?? 8)
    .height(5)
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
  if (spec.upDown) {
    panel.mappings(UP_DOWN);
  }
  if (spec.thresholds) {
    panel.thresholds(thresholdsConfig(spec.thresholds));
  }
  return panel;
}

/** How a table shows its columns: each series label is one, and the value is `Value`. */
export interface Columns {
  /** Headings by label name; the first ones listed come first, in this order. */
  headings: Record<string, string>;
}

/** Columns every table hides: the time of the instant query and the labels of the scrape. */
const HIDDEN_COLUMNS = { Time: true, __name__: true, job: true, instance: true } as const;

/** The latest value of each series as table rows, their labels as columns. */
export function tablePanel(spec: PanelSpec & { columns?: Columns }): table.PanelBuilder {
  const headings = spec.columns?.headings ?? {};
  return new table.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .unit(spec.unit)
    .datasource(PANEL_DATASOURCE)
    .targets(targets(spec.queries, "table"))
    .span(spec.width ?? 24)
    .height(9)
    .withTransformation({
      id: "organize",
      options: {
        excludeByName: HIDDEN_COLUMNS,
        renameByName: headings,
        indexByName: Object.fromEntries(Object.keys(headings).map((label, i) => [label, i])),
      },
    });
}

/** A row heading that groups the panels after it. */
export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}

/** A dashboard of the house: its uid, refresh, tags and a read-only model, since Pulumi owns it. */
export function houseDashboard(spec: {
  uid: string;
  title: string;
  description: string;
  refresh: string;
}): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(["waste-management", "managed-by-pulumi"])
    .refresh(spec.refresh)
    .time({ from: "now-6h", to: "now" })
    .timezone("browser")
    .readonly()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(
      new dashboard.DatasourceVariableBuilder(DATASOURCE_VARIABLE)
        .label("Prometheus")
        .type(DATASOURCE.type)
        .current({ text: "Prometheus", value: DATASOURCE.uid })
        .multi(false)
        .includeAll(false)
        .allowCustomValue(false),
    );
}
