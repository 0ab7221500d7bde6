import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { BACKUP_THRESHOLDS, THRESHOLDS } from "../components/monitoring/contract";
import { DATASOURCE } from "../dashboards";
import { requireBinary, run, tempDir } from "./support/processes";
import {
  DashboardModel,
  DashboardPanel,
  dashboardExpressions,
  panelsOf,
  renderedDashboards,
} from "./support/promql";
import { renderedStack } from "./support/rendered";

/** The backend's DB_POOL_MAX in each stack file. */
const POOL_MAX = { dev: 20, prod: 40 } as const;

/** Panels that mirror an alert, and the contract's figures their colours change at. */
const MIRRORED: Record<string, number[]> = {
  "Host CPU busy": [THRESHOLDS.cpuPercent],
  "Host memory in use": [THRESHOLDS.memoryPercent],
  "Root disk free": [THRESHOLDS.diskFreePercent],
  "Days until the certificate expires": [
    THRESHOLDS.certificateCriticalDays,
    THRESHOLDS.certificateWarningDays,
  ],
  "API error ratio": [THRESHOLDS.apiErrorRatio],
  "API latency": [THRESHOLDS.apiP95Seconds],
  "Failed logins": [THRESHOLDS.authFailuresPerMinute],
  "Payment failure ratio": [THRESHOLDS.paymentFailureRatio],
  "Backend pool in use": [THRESHOLDS.poolUsageRatio],
  "max_connections in use": [THRESHOLDS.connectionUsageRatio],
  "nginx 4xx per second": [THRESHOLDS.nginx4xxPerSecond],
  "nginx 5xx per second": [THRESHOLDS.nginx5xxPerSecond],
  "Last WAL segment archived": [BACKUP_THRESHOLDS.archiveLagSeconds],
  "Last full backup": [BACKUP_THRESHOLDS.fullMaxAgeSeconds],
  "Last incremental or full backup": [BACKUP_THRESHOLDS.incrementalMaxAgeSeconds],
};

/** Grafana's organize transformation: hidden, renamed and reordered columns. */
interface Organize {
  excludeByName?: Record<string, boolean>;
  renameByName?: Record<string, string>;
  indexByName?: Record<string, number>;
}

/** How a panel or query names the datasource variable instead of a fixed uid. */
const VARIABLE_REF = { type: "prometheus", uid: "${datasource}" };

function steps(panel: DashboardPanel): (number | null)[] {
  return (panel.fieldConfig?.defaults.thresholds?.steps ?? []).map((step) => step.value);
}

for (const stack of ["dev", "prod"] as const) {
  describe(`the rendered dashboards of ${stack}`, () => {
    let dashboards: Map<string, DashboardModel>;
    let panels: DashboardPanel[];

    before(async () => {
      dashboards = renderedDashboards(await renderedStack(stack));
      panels = [...dashboards.values()].flatMap(panelsOf);
    });

    it("are the runbook's three, with their uids and refresh intervals", () => {
      const found = [...dashboards].map(([file, model]) => [file, model.uid, model.refresh]);
      assert.deepEqual(found, [
        ["database-performance", "database-performance", "15s"],
        ["production-overview", "production-overview", "30s"],
        ["services", "services", "30s"],
      ]);
    });

    it("are read-only in Grafana, since a deploy overwrites them", () => {
      for (const model of dashboards.values()) {
        assert.equal(model.editable, false, model.uid);
      }
    });

    it("give every panel a title, a description and a unit", () => {
      assert.ok(panels.length > 40);
      for (const panel of panels) {
        assert.ok(panel.title, `a ${panel.type} panel has no title`);
        assert.ok((panel.description ?? "").length > 20, `${panel.title} has no description`);
        assert.ok(panel.fieldConfig?.defaults.unit, `${panel.title} has no unit`);
      }
    });

    it("number their panels and rows uniquely, from 1", () => {
      for (const model of dashboards.values()) {
        const ids = model.panels.map((panel) => panel.id);
        assert.deepEqual(
          ids,
          ids.map((_, i) => i + 1),
          model.uid,
        );
      }
    });

    it("read every panel and query through the datasource variable, so any Grafana can import them", () => {
      for (const panel of panels) {
        assert.ok((panel.targets ?? []).length > 0, `${panel.title} has no query`);
        assert.deepEqual(panel.datasource, VARIABLE_REF, panel.title);
        for (const target of panel.targets ?? []) {
          assert.deepEqual(target.datasource, VARIABLE_REF, `${panel.title} ${target.refId}`);
        }
      }
    });

    it("offer a Prometheus datasource variable that defaults to the stack's datasource", () => {
      for (const model of dashboards.values()) {
        const variables = (model as { templating?: { list?: Record<string, unknown>[] } })
          .templating?.list;
        assert.deepEqual(
          variables?.map((v) => [v.type, v.name, v.query, v.current, v.multi, v.includeAll]),
          [
            [
              "datasource",
              "datasource",
              "prometheus",
              { text: "Prometheus", value: DATASOURCE.uid },
              false,
              false,
            ],
          ],
          model.uid,
        );
      }
    });

    it("ask for table-shaped results on table panels only, and one series per stat value", () => {
      // A table-format query merges every series into one frame with one Value field, so a stat
      // panel would reduce all jobs or probes to a single number.
      for (const panel of panels) {
        for (const target of panel.targets ?? []) {
          const expected = panel.type === "table" ? "table" : "time_series";
          assert.equal(target.format, expected, `${panel.title} ${target.refId}`);
          if (panel.type !== "timeseries") {
            assert.equal(target.instant, true, `${panel.title} ${target.refId} is not instant`);
          }
        }
      }
      assert.ok(panels.some((panel) => panel.type === "table"));
      assert.ok(panels.filter((panel) => panel.type === "stat").length >= 6);
    });

    it("name the slowest statements by their text, hiding the series' name, job and instance", () => {
      type Table = DashboardPanel & { transformations?: { id: string; options: Organize }[] };
      const table: Table | undefined = panels.find(
        (p) => p.title === "Slowest statements by mean time",
      );
      const organize = table?.transformations?.find((t) => t.id === "organize")?.options;
      assert.deepEqual(organize?.excludeByName, {
        Time: true,
        __name__: true,
        job: true,
        instance: true,
      });
      assert.equal(organize?.renameByName?.query, "Statement");
      assert.equal(organize?.indexByName?.query, 0);
      const graph = panels.find((p) => p.title === "Time spent per statement");
      assert.deepEqual(
        graph?.targets?.map((t) => t.legendFormat),
        ["{{query}}"],
      );
    });

    it("colour the panels of alerts at the contract's thresholds", () => {
      for (const [title, figures] of Object.entries(MIRRORED)) {
        const panel = panels.find((p) => p.title === title);
        assert.ok(panel, `no panel ${title}`);
        assert.deepEqual(steps(panel), [null, ...figures], title);
      }
    });

    it("draw the backend's pool size from the stack's DB_POOL_MAX", () => {
      const panel = panels.find((p) => p.title === "Backend connections");
      assert.deepEqual(panel && steps(panel), [null, POOL_MAX[stack]]);
      const pool = panels.find((p) => p.title === "Backend pool in use");
      assert.match(pool?.targets?.[0].expr ?? "", new RegExp(`/ ${POOL_MAX[stack]}$`));
    });

    it("use no threshold that is not a figure of the contract or the pool size", () => {
      const allowed = new Set<number>([
        ...Object.values(THRESHOLDS),
        ...Object.values(BACKUP_THRESHOLDS),
        POOL_MAX[stack],
      ]);
      for (const panel of panels) {
        for (const value of steps(panel).filter((v) => v !== null)) {
          assert.ok(allowed.has(value), `${panel.title} changes colour at ${value}`);
        }
      }
    });
  });
}

describe("the dashboards' source", () => {
  it("builds every selector with the shared helpers: no job matcher is written by hand", () => {
    const dir = path.join(__dirname, "..", "dashboards");
    const handWritten = fs
      .readdirSync(dir)
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) =>
        fs
          .readFileSync(path.join(dir, file), "utf8")
          .split("\n")
          .map((line, i) => ({ where: `dashboards/${file}:${i + 1}`, line }))
          .filter(({ line }) => /\bjob\s*=~?\s*\\?["'`]/.test(line)),
      )
      .map(({ where, line }) => `${where}: ${line.trim()}`);
    assert.deepEqual(handWritten, []);
  });
});

const PROMTOOL = "/usr/bin/promtool";

/** A panel query, the series promtool loads (15 s apart), and what it must give after 10 min. */
interface ErrorPanelCase {
  query: string;
  says: string;
  series: Record<string, string>;
  expected: number;
}

const BACKEND = 'job="backend"';
const NGINX_LOG = 'job="nginx-log",prog="nginx.mtail"';

// Counters only get an error series at the first error (mtail makes a status's series at its first
// line), so an error panel that selects errors alone shows nothing while all is well.
const ERROR_PANELS: ErrorPanelCase[] = [
  {
    query: 'dashboards/production-overview.json "API error ratio" A',
    says: "0 with traffic and no 5xx series",
    series: { [`http_requests_total{${BACKEND},status="200"}`]: "0+60x40" },
    expected: 0,
  },
  {
    query: 'dashboards/production-overview.json "API error ratio" A',
    says: "the share of 5xx once there are some",
    series: {
      [`http_requests_total{${BACKEND},status="200"}`]: "0+45x40",
      [`http_requests_total{${BACKEND},status="503"}`]: "0+15x40",
    },
    expected: 0.25,
  },
  {
    query: 'dashboards/production-overview.json "Failed logins" A',
    says: "0 with logins and no failure series",
    series: { [`auth_login_attempts_total{${BACKEND},outcome="success"}`]: "0+15x40" },
    expected: 0,
  },
  {
    query: 'dashboards/production-overview.json "Payment success rate" A',
    says: "0 with attempts and no success series",
    series: { [`payment_attempts_total{${BACKEND},outcome="failure"}`]: "0+15x40" },
    expected: 0,
  },
  {
    query: 'dashboards/production-overview.json "Payment failure ratio" A',
    says: "0 with payments and no failure series",
    series: { [`payment_attempts_total{${BACKEND},outcome="success"}`]: "0+15x40" },
    expected: 0,
  },
  {
    query: 'dashboards/production-overview.json "Payment failure ratio" A',
    says: "the share of failures once there are some",
    series: {
      [`payment_attempts_total{${BACKEND},outcome="success"}`]: "0+10x40",
      [`payment_attempts_total{${BACKEND},outcome="declined"}`]: "0+5x40",
      [`payment_attempts_total{${BACKEND},outcome="failure"}`]: "0+5x40",
    },
    expected: 0.25,
  },
  {
    query: 'dashboards/services.json "nginx 4xx per second" A',
    says: "0 with answers and no 4xx series",
    series: { [`nginx_http_responses_total{${NGINX_LOG},status="200"}`]: "0+30x40" },
    expected: 0,
  },
  {
    query: 'dashboards/services.json "nginx 5xx per second" A',
    says: "0 with answers and no 5xx series",
    series: { [`nginx_http_responses_total{${NGINX_LOG},status="200"}`]: "0+30x40" },
    expected: 0,
  },
  {
    query: 'dashboards/services.json "nginx 5xx per second" A',
    says: "the 5xx a second once there are some",
    series: {
      [`nginx_http_responses_total{${NGINX_LOG},status="200"}`]: "0+30x40",
      [`nginx_http_responses_total{${NGINX_LOG},status="502"}`]: "0+3x40",
    },
    expected: 0.2,
  },
];

describe("the error panels, evaluated by promtool 2.42", () => {
  let queries: Map<string, string>;
  let dir = "";

  before(async () => {
    requireBinary(PROMTOOL, "prometheus");
    const out = await renderedStack("dev");
    queries = new Map(dashboardExpressions(out).map(({ where, expr }) => [where, expr]));
    dir = tempDir("error-panels");
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  ERROR_PANELS.forEach((panel, i) => {
    it(`shows ${panel.says}: ${panel.query}`, async () => {
      const expr = queries.get(panel.query);
      assert.ok(expr, `no query ${panel.query}`);
      const file = path.join(dir, `case-${i}.test.yml`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          rule_files: [],
          evaluation_interval: "1m",
          tests: [
            {
              interval: "15s",
              input_series: Object.entries(panel.series).map(([series, values]) => ({
                series,
                values,
              })),
              promql_expr_test: [
                {
                  expr,
                  eval_time: "10m",
                  exp_samples: [{ labels: "{}", value: panel.expected }],
                },
              ],
            },
          ],
        }),
      );
      const result = await run(PROMTOOL, ["test", "rules", file]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
    });
  });
});
