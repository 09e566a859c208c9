// Bearer tokens mapped to principals. Tokens are compared by their SHA-256 digest in a map lookup, so the
// time taken does not depend on how much of a guessed token is right.
import { createHash } from 'node:crypto';

export type Authenticator = (authorization: string | undefined) => string | undefined;

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createAuthenticator(tokens: Array<{ principal: string; token: string }>): Authenticator {
  const principals = new Map(tokens.map((entry) => [digest(entry.token), entry.principal]));
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return match ? principals.get(digest(match[1]!)) : undefined;
  };
}
