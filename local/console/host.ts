/**
 * Where the console may listen: loopback unless the caller explicitly allows another interface.
 * The console mints tokens for any user id, so on a shared network it would hand out access.
 */

export class ConsoleHostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsoleHostError';
  }
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Throws unless `host` is a loopback address or `allowRemote` says another interface is wanted. */
export function assertConsoleHost(host: string, allowRemote: boolean): void {
  if (isLoopbackHost(host) || allowRemote) return;
  throw new ConsoleHostError(
    `the console mints tokens for any user, so it listens on loopback only; to serve it on ${host} anyway, add --allow-remote-console`,
  );
}
