// Console sessions as a signed cookie: principal, a random session id and an expiry, MACed (HMAC-SHA256) with a key
// derived from the API's signing key. Every replica holds that key, so any replica accepts the cookie and no
// session store is needed; the token a person signed in with is never stored anywhere. The CSRF token of a
// session is derived from its id with the same key, so it too needs no store.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const SESSION_COOKIE = 'toolgate_session';

const Payload = z.strictObject({
  p: z.string().min(1).max(256),
  sid: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  exp: z.number().int().positive(),
});

export interface Session {
  principal: string;
  /** Random per sign-in; `proxy` for an identity the reverse proxy names on every request. */
  sessionId: string;
  expiresAt: number;
}

export class SessionCookies {
  private readonly key: Buffer;
  readonly ttlMs: number;

  constructor(key: Buffer, ttlMs: number) {
    this.key = key;
    this.ttlMs = ttlMs;
  }

  private mac(text: string): Buffer {
    return createHmac('sha256', this.key).update(text).digest();
  }

  /** A new session of `principal`, as the cookie's value. */
  issue(principal: string, now = Date.now()): { value: string; session: Session } {
    const session = { principal, sessionId: randomBytes(16).toString('base64url'), expiresAt: now + this.ttlMs };
    const body = Buffer.from(JSON.stringify({ p: principal, sid: session.sessionId, exp: session.expiresAt })).toString(
      'base64url',
    );
    return { value: `v1.${body}.${this.mac(`session\n${body}`).toString('base64url')}`, session };
  }

  /** The session a cookie value carries; undefined when forged, altered, malformed or expired. */
  open(value: string | undefined, now = Date.now()): Session | undefined {
    const [version, body, mac, ...rest] = (value ?? '').split('.');
    if (version !== 'v1' || !body || !mac || rest.length > 0) return undefined;
    const expected = this.mac(`session\n${body}`);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const parsed = Payload.safeParse(json);
    if (!parsed.success || parsed.data.exp <= now) return undefined;
    return { principal: parsed.data.p, sessionId: parsed.data.sid, expiresAt: parsed.data.exp };
  }

  /** The CSRF token every form of this session carries: only this API can compute it, and only a page of it shows it. */
  csrfToken(session: Pick<Session, 'principal' | 'sessionId'>): string {
    return this.mac(`csrf\n${session.principal}\n${session.sessionId}`).toString('base64url');
  }

  checkCsrf(session: Pick<Session, 'principal' | 'sessionId'>, token: string | undefined): boolean {
    const expected = Buffer.from(this.csrfToken(session));
    const given = Buffer.from(token ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
