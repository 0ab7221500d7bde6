import * as http from "node:http";
import { AddressInfo } from "node:net";
import { closeHttpServer } from "./http-server";

/** One request the heartbeat check received: when, how, and the body Alertmanager sent. */
export interface Ping {
  at: number;
  method: string;
  body: string;
}

/**
 * A stand-in for an external heartbeat check (healthchecks.io, Dead Man's Snitch) on loopback:
 * it records every request to its ping path, as such a service counts pings.
 */
export class HeartbeatStandIn {
  private server: http.Server | undefined;
  readonly pings: Ping[] = [];

  static readonly PATH = "/ping/waste-management";

  async start(): Promise<void> {
    const server = http.createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (body += chunk));
      request.on("end", () => {
        if (request.url === HeartbeatStandIn.PATH) {
          this.pings.push({ at: Date.now(), method: request.method ?? "", body });
          response.writeHead(200).end("OK");
        } else {
          response.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  /** The ping URL, as the heartbeat service hands it out. */
  get url(): string {
    const { port } = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${port}${HeartbeatStandIn.PATH}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    await closeHttpServer(server);
  }
}
