// Sealed credentials open only for the round, server, requester and expiry they were sealed for, survive key
// rotation, and can never be opened through the payload codec (whose endpoint serves anyone who may read the round).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jwtExpiry, openCredential, sealCredential } from '../../runtime/credentials.ts';
import { ENCRYPTED_ENCODING, EncryptionCodec, loadCodecKeys } from '../../runtime/payload-codec.ts';

const keys = loadCodecKeys([
  { id: 'new', secret: randomBytes(32).toString('base64') },
  { id: 'old', secret: randomBytes(32).toString('base64') },
]);
const binding = { roundId: 'round-1', server: 'k8s', requester: 'carol' };
const later = new Date(Date.now() + 60_000);

describe('sealed credentials', () => {
  it('open for their round, server, requester and expiry only', () => {
    const sealed = sealCredential(keys[0]!, 'sha256~token', later, binding);
    expect(sealed.sealed).not.toContain('token');
    expect(openCredential(keys, sealed, binding)).toBe('sha256~token');
    expect(() => openCredential(keys, sealed, { ...binding, roundId: 'round-2' })).toThrow();
    expect(() => openCredential(keys, sealed, { ...binding, server: 'other' })).toThrow();
    expect(() => openCredential(keys, sealed, { ...binding, requester: 'mallory' })).toThrow();
    const extended = { ...sealed, expiresAt: new Date(later.getTime() + 3_600_000).toISOString() };
    expect(() => openCredential(keys, extended, binding)).toThrow();
  });

  it('never open a value too short for its IV and a full tag', () => {
    for (const length of [0, 8, 20, 27]) {
      const cut = { keyId: 'new', sealed: randomBytes(length).toString('base64'), expiresAt: later.toISOString() };
      expect(() => openCredential(keys, cut, binding), `${length} bytes`).toThrow(/too short to be sealed/);
    }
  });

  it('open with a retired key after rotation, and name a key that is gone', () => {
    const sealed = sealCredential(keys[1]!, 'old-token', later, binding);
    expect(openCredential(keys, sealed, binding)).toBe('old-token');
    expect(() => openCredential([keys[0]!], sealed, binding)).toThrow(/codec key 'old', which is not configured/);
  });

  it('cannot be opened by the payload codec', async () => {
    const sealed = sealCredential(keys[0]!, 'secret-token', later, binding);
    const forged = {
      metadata: {
        encoding: new TextEncoder().encode(ENCRYPTED_ENCODING),
        'encryption-key-id': new TextEncoder().encode(sealed.keyId),
      },
      data: Buffer.from(sealed.sealed, 'base64'),
    };
    await expect(new EncryptionCodec(keys).decode([forged])).rejects.toThrow();
  });

  it('read a JWT expiry, and nothing from other tokens', () => {
    const claims = Buffer.from(JSON.stringify({ exp: 2_000_000_000 })).toString('base64url');
    expect(jwtExpiry(`e30.${claims}.sig`)?.toISOString()).toBe(new Date(2_000_000_000_000).toISOString());
    expect(jwtExpiry('opaque-token')).toBeUndefined();
    expect(jwtExpiry('a.not-json.c')).toBeUndefined();
  });
});
