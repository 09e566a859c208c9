// Requesters' own credentials toward MCP servers: sealed by the API with the codec's current key the moment
// they arrive, opened by the worker for the call that needs them, never stored or shown in plaintext.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { SealedCredential } from '../workflows/contract.ts';
import { CodecError, type CodecKey } from './payload-codec.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** When a JWT says it expires (`exp`), else undefined: other tokens expire by the server's configured ttl. */
export function jwtExpiry(token: string): Date | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/** Which round, server and requester a credential was sealed for: it opens for them only. */
export interface CredentialBinding {
  roundId: string;
  server: string;
  requester: string;
}

/**
 * A key of its own, derived from the codec key: the codec endpoint, which opens payloads for anyone who may
 * read the round, can never be made to open a credential.
 */
function credentialKey(key: CodecKey): Buffer {
  return Buffer.from(hkdfSync('sha256', key.key, Buffer.alloc(0), 'toolgate user credential v1', 32));
}

/**
 * The expiry is authenticated too: a sealed credential copied into a new round input with a later `expiresAt`
 * does not open. Credentials sealed before (round and server only) no longer open either; they live an hour or so.
 */
function bindingData({ roundId, server, requester }: CredentialBinding, expiresAt: string): Buffer {
  return Buffer.from(JSON.stringify(['toolgate user credential', 2, roundId, server, requester, expiresAt]), 'utf8');
}

export function sealCredential(
  key: CodecKey,
  token: string,
  expiresAt: Date,
  binding: CredentialBinding,
): SealedCredential {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', credentialKey(key), iv);
  cipher.setAAD(bindingData(binding, expiresAt.toISOString()));
  const sealed = Buffer.concat([iv, cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { keyId: key.id, sealed: sealed.toString('base64'), expiresAt: expiresAt.toISOString() };
}

export function openCredential(keys: CodecKey[], credential: SealedCredential, binding: CredentialBinding): string {
  const key = keys.find((candidate) => candidate.id === credential.keyId);
  if (!key) throw new CodecError(`credential sealed with codec key '${credential.keyId}', which is not configured`);
  const sealed = Buffer.from(credential.sealed, 'base64');
  // Shorter than IV and tag, AES-GCM would check a truncated tag: such a value never opens.
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new CodecError('credential does not open: too short to be sealed');
  const decipher = createDecipheriv('aes-256-gcm', credentialKey(key), sealed.subarray(0, IV_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(bindingData(binding, credential.expiresAt));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}
