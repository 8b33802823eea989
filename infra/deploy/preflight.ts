import net from 'node:net';

/** Checks that run before anything is created, so a bad value fails with a clear message and no leftovers. */
export class PreflightError extends Error {
  override readonly name = 'PreflightError';
}

/** Whether something already listens on host:port (tries to bind it, and lets go at once). */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(true) : reject(err)));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/**
 * The router's published port must be free, unless this environment's router already holds it.
 * `owner` names who holds it when known (another environment's router).
 */
export async function checkRouterPort(port: number, heldByThisStack: boolean, owner?: string): Promise<void> {
  if (heldByThisStack) return;
  if (await portInUse(port)) {
    throw new PreflightError(
      `environments.*.routerPort: port ${port} on 127.0.0.1 is already in use${owner ? ` by ${owner}` : ''}; pick a free port in airlock.yaml`,
    );
  }
}
