import * as http from "node:http";
import { AddressInfo } from "node:net";
import { HEALTH_CHECKS } from "../../components/monitoring/contract";
import { closeHttpServer } from "./http-server";

/**
 * A stand-in for the backend API: answers the runbook's health endpoints and serves a small
 * /metrics in the shape docs/backend-metrics.md asks of the real backend. Stopping it closes the
 * port, as a crashed container does.
 */
export class BackendStandIn {
  private server: http.Server | undefined;

  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const healthPaths = new Set<string>(Object.values(HEALTH_CHECKS).map((check) => check.path));
    const server = http.createServer((request, response) => {
      if (request.url === "/metrics") {
        response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        response.end(EXPOSITION);
      } else if (healthPaths.has(request.url ?? "")) {
        response.writeHead(200, { "content-type": "application/json" });
        response.end('{"status":"ok"}');
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  get address(): string {
    const { port } = this.server?.address() as AddressInfo;
    return `127.0.0.1:${port}`;
  }

  /** Closes the port and drops open connections, so the next probe is refused. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    await closeHttpServer(server);
  }
}

const EXPOSITION = `# HELP payment_attempts_total Payment attempts by outcome.
# TYPE payment_attempts_total counter
payment_attempts_total{outcome="success"} 120
payment_attempts_total{outcome="failure"} 2
# HELP http_requests_total API requests by method and status.
# TYPE http_requests_total counter
http_requests_total{method="GET",status="200"} 5400
http_requests_total{method="POST",status="500"} 3
# HELP active_users Users active in the last five minutes.
# TYPE active_users gauge
active_users 240
# HELP customer_churn_rate Share of customers who cancelled over the last 30 days.
# TYPE customer_churn_rate gauge
customer_churn_rate 0.012
`;
