import assert from "node:assert/strict";

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200, `GET ${url}`);
  return response.json();
}

/** True once the Prometheus at `prometheusUrl` returns at least one sample for `query`. */
export async function hasSample(prometheusUrl: string, query: string): Promise<boolean> {
  const url = `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`;
  const body = (await getJson(url)) as { data: { result: unknown[] } };
  return body.data.result.length > 0;
}

/**
 * True while the Alertmanager at `alertmanagerUrl` holds a firing alert of this name that it
 * will notify: active, neither inhibited nor silenced, and not resolved.
 */
export async function alertmanagerHolds(alertmanagerUrl: string, alert: string): Promise<boolean> {
  const filter = encodeURIComponent(`alertname="${alert}"`);
  const alerts = (await getJson(`${alertmanagerUrl}/api/v2/alerts?filter=${filter}`)) as {
    endsAt: string;
    status: { state: string };
  }[];
  const now = Date.now();
  return alerts.some((a) => a.status.state === "active" && Date.parse(a.endsAt) > now);
}
