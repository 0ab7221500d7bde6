import assert from "node:assert/strict";
import { MonitoringDrill } from "./monitoring-drill";

/** The `# TYPE` of each metric family in a Prometheus text exposition. */
export function exposedTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)) {
    types.set(match[1], match[2]);
  }
  return types;
}

/**
 * The declared type of every metric the drill's servers and exporters serve on /metrics, by name;
 * a name served twice with two types fails, since no function could read it right.
 */
export async function liveTypes(drill: MonitoringDrill): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for (const [endpoint, address] of Object.entries(drill.endpoints)) {
    const response = await fetch(`http://${address}/metrics`, {
      signal: AbortSignal.timeout(15000),
    });
    assert.equal(response.status, 200, `GET ${endpoint} /metrics`);
    for (const [name, type] of exposedTypes(await response.text())) {
      assert.ok(!all.has(name) || all.get(name) === type, `${name} is typed twice`);
      all.set(name, type);
    }
  }
  return all;
}
