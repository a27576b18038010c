import type { AddressInfo, Server } from 'node:net';

/** Every local emulator and server binds loopback only. */
export const HOST = '127.0.0.1';

/**
 * Listens on 127.0.0.1:`port` (0 picks a free port) and resolves the port bound. A taken port
 * rejects with a message naming it and, when given, how to choose another.
 */
export function listen(server: Server, port: number, hint?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${HOST} is already in use${hint === undefined ? '' : ` (${hint})`}: is another \`npm start\` running?`, { cause: error })
          : error,
      ),
    );
    server.listen(port, HOST, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Closes a server and drops its kept-alive connections. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

/**
 * The `Host` headers a loopback server answers: `127.0.0.1:<port>` and `localhost:<port>`. Any
 * other name pointing at 127.0.0.1 is a DNS-rebinding attempt from a web page, refused.
 */
export function loopbackHosts(port: number): ReadonlySet<string> {
  return new Set([`${HOST}:${port}`, `localhost:${port}`]);
}
