import * as fs from "node:fs";
import * as path from "node:path";
import { freePort, requireBinary, ServerProcess, startServer } from "./processes";

const MTAIL = "/usr/bin/mtail";

/** Debian's mtail tailing a log file in Docker's json-file form, as the stack's mtail reads nginx's. */
export interface MtailServer {
  process: ServerProcess;
  /** `host:port` of its /metrics. */
  address: string;
  /** Appends one access-log line per status, wrapped the way Docker's json-file driver stores it. */
  append: (statuses: number[]) => void;
}

/**
 * mtail with the rendered program, tailing an empty log under `dir`. mtail starts reading a file
 * it finds at startup from its end, so only lines appended afterwards count, as in the stack.
 */
export async function startMtail(dir: string, program: string): Promise<MtailServer> {
  requireBinary(MTAIL, "mtail");
  const progs = path.join(dir, "mtail-progs");
  fs.mkdirSync(progs, { recursive: true });
  fs.writeFileSync(path.join(progs, "nginx.mtail"), program);
  const log = path.join(dir, "nginx-access.log");
  fs.writeFileSync(log, "");
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const process = await startServer(
    MTAIL,
    [
      ...["--progs", progs, "--logs", log, "--logtostderr"],
      ...["--address", "127.0.0.1", "--port", String(port)],
    ],
    {
      name: "mtail",
      ready: async () => {
        const response = await fetch(`http://${address}/metrics`, {
          signal: AbortSignal.timeout(5000),
        });
        return response.ok && (await response.text()).includes('prog="nginx.mtail"');
      },
    },
  );
  const append = (statuses: number[]) => {
    const lines = statuses.map((status) => {
      const line = JSON.stringify({ status: String(status), request_uri: "/api/pickups" });
      return `${JSON.stringify({ log: `${line}\n`, stream: "stdout" })}\n`;
    });
    fs.appendFileSync(log, lines.join(""));
  };
  return { process, address, append };
}
