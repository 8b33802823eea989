// The dashboard's HTTP safety rules, as pure functions (unit-tested) the server applies to every request.

/** Sent with every response: scripts and styles only from /static/ (no inline code), no framing, no referrer. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

export const isLoopback = (host: string): boolean => LOOPBACK.includes(host) || host === '::1';

/**
 * The Host headers the server answers: its own address, and every loopback name when bound to loopback.
 * Any other Host is a DNS-rebinding page reading the dashboard through a name it controls: refused.
 */
export function allowedHosts(host: string, port: number): string[] {
  const names = isLoopback(host) ? LOOPBACK : [host.includes(':') ? `[${host}]` : host];
  return names.map((n) => `${n}:${port}`);
}

export function hostAllowed(hostHeader: string | undefined, allowed: readonly string[]): boolean {
  return !!hostHeader && allowed.includes(hostHeader.toLowerCase());
}

/**
 * A state-changing request must come from a page of this server: browsers send Origin on every POST, and
 * a page of another origin cannot forge it. A missing Origin (curl, another program) is refused too: the
 * CLI is the tool for scripts.
 */
export function sameOrigin(origin: string | undefined, hostHeader: string | undefined, allowed: readonly string[]): boolean {
  return !!origin && hostAllowed(hostHeader, allowed) && origin.toLowerCase() === `http://${hostHeader!.toLowerCase()}`;
}
