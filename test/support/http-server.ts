import type * as http from "node:http";

/**
 * Closes an HTTP server and the connections still open on it: idle keep-alive connections would
 * otherwise hold close() open, and a client would go on reaching a server meant to be down.
 */
export function closeHttpServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
