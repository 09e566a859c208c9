// Takes the requester's own credentials for MCP servers from the request that starts a round and seals them
// at once: from here on only the sealed form exists (history, memo and state never hold the token).
import type { IncomingHttpHeaders } from 'node:http';
import type { SealedCredential } from '../workflows/contract.ts';
import type { ServerConfig } from '../runtime/config.ts';
import { ApiError } from '../runtime/api-error.ts';
import { jwtExpiry, sealCredential } from '../runtime/credentials.ts';
import type { CodecKey } from '../runtime/payload-codec.ts';

export type CredentialIntake = (
  headers: IncomingHttpHeaders,
  binding: { roundId: string; requester: string },
  servers: string[] | undefined,
) => Record<string, SealedCredential> | undefined;

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

function withoutScheme(value: string, scheme: string): string {
  return scheme && value.toLowerCase().startsWith(`${scheme.toLowerCase()} `)
    ? value.slice(scheme.length + 1).trim()
    : value;
}

/** Undefined when no server takes a user credential. The first codec key seals. */
export function createCredentialIntake(servers: ServerConfig[], keys: CodecKey[]): CredentialIntake | undefined {
  const takers = servers.flatMap((server) =>
    server.transport === 'http' && server.userCredential ? [{ name: server.name, ...server.userCredential }] : [],
  );
  if (takers.length === 0) return undefined;
  const sealingKey = keys[0];
  if (!sealingKey) throw new Error('user credentials need a codec key to seal them');
  return (headers, { roundId, requester }, only) => {
    const sealed: Record<string, SealedCredential> = {};
    const now = Date.now();
    for (const taker of takers) {
      if (only && !only.includes(taker.name)) continue;
      const value = headerValue(headers, taker.fromHeader);
      if (!value) continue;
      const token = withoutScheme(value, taker.scheme);
      const claimed = jwtExpiry(token);
      if (claimed && claimed.getTime() <= now) {
        throw new ApiError(
          400,
          'credential_expired',
          `The credential in header ${taker.fromHeader} (for server '${taker.name}') expired at ${claimed.toISOString()}`,
        );
      }
      // A token is kept no longer than the server's ttl, even when it claims a later expiry.
      const expiresAt = new Date(Math.min(claimed?.getTime() ?? Infinity, now + taker.ttl));
      sealed[taker.name] = sealCredential(sealingKey, token, expiresAt, {
        roundId,
        server: taker.name,
        requester,
      });
    }
    return Object.keys(sealed).length > 0 ? sealed : undefined;
  };
}
