import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { requireBinary, run, tempDir } from "./support/processes";
import { readRendered, renderedStack } from "./support/rendered";

// Debian's mtail 3.0.0~rc50, the package the stack's mtail image is built from, reads access logs
// with the rendered nginx.mtail.
const MTAIL = "/usr/bin/mtail";

/** The JSON template of the access log in the rendered nginx.conf, `$variables` in place. */
function accessLogTemplate(nginxConf: string): string {
  const block = /log_format json escape=json\s+((?:'[^']*'\s*)+);/.exec(nginxConf);
  assert.ok(block, "nginx.conf has no `log_format json escape=json`");
  return [...block[1].matchAll(/'([^']*)'/g)].map((m) => m[1]).join("");
}

/** One access-log line as nginx writes it: variable values JSON-escaped, as escape=json does. */
function accessLogLine(template: string, values: Record<string, string>): string {
  const line = template.replace(/\$(\w+)/g, (_, name: string) =>
    JSON.stringify(values[name] ?? "").slice(1, -1),
  );
  // Throws if a value broke the JSON, which nginx's escaping never lets happen.
  JSON.parse(line);
  return line;
}

/** The same line as Docker's json-file driver stores it, where the stack's mtail reads it. */
function dockerLogLine(line: string): string {
  return JSON.stringify({ log: `${line}\n`, stream: "stdout", time: "2025-03-01T10:00:00.1Z" });
}

interface MtailMetric {
  LabelValues: { Labels: string[]; Value: { Value: number } }[];
}

describe("mtail 3.0.0~rc50 with the rendered nginx.mtail", () => {
  let dir = "";
  let template = "";
  const requests: [number, string][] = [
    [200, "/api/pickups"],
    [200, "/"],
    [200, "/api/routes?day=2025-03-01"],
    [301, "/"],
    [404, "/wp-login.php"],
    [404, "/.env"],
    [429, "/api/login"],
    [500, "/api/invoices"],
    [502, "/api/pickups"],
    [502, "/api/pickups"],
    [502, "/api/routes"],
  ];
  const expected = { "200": 3, "301": 1, "404": 2, "429": 1, "500": 1, "502": 3 };

  before(async () => {
    requireBinary(MTAIL, "mtail");
    const out = await renderedStack("dev");
    template = accessLogTemplate(readRendered(out, "nginx/nginx.conf"));
    dir = tempDir("mtail");
    fs.mkdirSync(path.join(dir, "progs"));
    fs.copyFileSync(
      path.join(out, "monitoring", "nginx.mtail"),
      path.join(dir, "progs", "nginx.mtail"),
    );
  });

  after(() => {
    if (dir) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  function lines(list: [number, string][]): string[] {
    return list.map(([status, uri], i) =>
      accessLogLine(template, {
        time_iso8601: `2025-03-01T10:00:${String(i).padStart(2, "0")}+00:00`,
        request_id: `${i}`.padStart(32, "0"),
        remote_addr: "198.51.100.4",
        request_method: "GET",
        host: "app.wastemanagement.example",
        request_uri: uri,
        status: String(status),
        body_bytes_sent: "512",
        request_time: "0.012",
      }),
    );
  }

  /** Status counts mtail reports after reading `log` once from start to end. */
  async function countsFor(name: string, log: string[]): Promise<Record<string, number>> {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${log.join("\n")}\n`);
    const result = await run(MTAIL, [
      ...["--one_shot", "--one_shot_format", "json", "--logtostderr"],
      // One-shot mode still opens its HTTP port; a kernel-chosen one on loopback cannot clash.
      ...["--address", "127.0.0.1", "--port", "0"],
      ...["--progs", path.join(dir, "progs"), "--logs", file],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const metrics = JSON.parse(result.stdout) as Record<string, MtailMetric[] | undefined>;
    const values = metrics.nginx_http_responses_total?.[0]?.LabelValues ?? [];
    return Object.fromEntries(values.map((v) => [v.Labels[0], v.Value.Value]));
  }

  it("counts every status of nginx's own JSON lines", async () => {
    assert.deepEqual(await countsFor("access.log", lines(requests)), expected);
  });

  it("counts every status of the lines as Docker's json-file log holds them", async () => {
    const docker = lines(requests).map(dockerLogLine);
    assert.deepEqual(await countsFor("docker.log", docker), expected);
  });

  it("counts a request whose URI carries a forged status by its real status in Docker's log", async () => {
    // A nginx line whose URI holds "status":"500" is counted as 500 in nginx's own format
    // (mtail's pattern allows the escaped quotes); the stack reads Docker's form, where it is not.
    const docker = lines([[404, '/?"status":"500"']]).map(dockerLogLine);
    assert.deepEqual(await countsFor("forged.log", docker), { "404": 1 });
  });
});
