// Who asks the console: a trusted reverse proxy's identity header (only from `api.ui.trustedProxies`), else the
// session cookie of a sign-in with an API token. A session of a principal whose token was removed from the
// config is refused, so removing a token revokes that principal's sessions on every replica at once.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SESSION_COOKIE, type Session, type SessionCookies } from './session-cookie.ts';

const ProxyPrincipal = z
  .string()
  .min(1)
  .max(256)
  // eslint-disable-next-line no-control-regex -- a name a proxy sets is printable
  .regex(/^[^\u0000-\u001f\u007f]+$/);

const CookieHeader = z.string().max(8192).optional();

export interface ConsoleAuthOptions {
  cookies: SessionCookies;
  /** Principals with a configured API token: only they sign in, and only their sessions hold. */
  principals: ReadonlySet<string>;
  identityHeader?: string | undefined;
  trustedProxies: readonly string[];
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: unknown, name: string): string | undefined {
  const parsed = CookieHeader.safeParse(header);
  if (!parsed.success || parsed.data === undefined) return undefined;
  for (const pair of parsed.data.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** An IPv4 peer of a dual-stack socket shows as ::ffff:a.b.c.d. */
function peerAddress(request: FastifyRequest): string {
  return (request.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

export class ConsoleAuth {
  readonly cookies: SessionCookies;
  private readonly options: ConsoleAuthOptions;

  constructor(options: ConsoleAuthOptions) {
    this.options = options;
    this.cookies = options.cookies;
  }

  /** Whether a principal may sign in with a token (the token itself is checked by the API's authenticator). */
  hasToken(principal: string): boolean {
    return this.options.principals.has(principal);
  }

  identify(request: FastifyRequest): Session | undefined {
    const { identityHeader, trustedProxies } = this.options;
    if (identityHeader && trustedProxies.includes(peerAddress(request))) {
      const named = ProxyPrincipal.safeParse(request.headers[identityHeader.toLowerCase()]);
      if (named.success) return { principal: named.data, sessionId: 'proxy', expiresAt: Number.POSITIVE_INFINITY };
    }
    const session = this.cookies.open(cookieValue(request.headers.cookie, SESSION_COOKIE));
    return session && this.hasToken(session.principal) ? session : undefined;
  }
}
