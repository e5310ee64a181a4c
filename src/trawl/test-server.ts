import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";

/**
 * A local HTTP server for tests (HTTPS when given a key and certificate): random port, counts connections, closes
 * every socket on `close()`.
 */
export interface TestServer {
  readonly port: number;
  readonly host: string;
  /** Connections accepted so far: the canary count of the SSRF tests. */
  readonly connections: () => number;
  readonly url: (path: string) => URL;
  readonly close: () => Promise<void>;
}

export async function startTestServer(
  handler: http.RequestListener,
  options: { host?: string; port?: number; tls?: { key: string; cert: string } } = {},
): Promise<TestServer> {
  const host = options.host ?? "127.0.0.1";
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  // Keep-alive shorter than the fetcher's pool timeout would make tests race; match common servers.
  server.keepAliveTimeout = 5_000;
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on("connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    port,
    host,
    connections: () => connections,
    url: (path) => new URL(path, `${options.tls ? "https" : "http"}://${urlHost}:${port}`),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
