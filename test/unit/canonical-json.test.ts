import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { argsDigest, canonicalJson } from '../../workflows/canonical-json.ts';

describe('canonical JSON and argument digest', () => {
  it('sorts keys at every depth and drops undefined values', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 'é' }], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[2,{"y":"é","z":1}]},"b":1}',
    );
  });

  it('gives equal digests for equal arguments in any key order, and matches Node SHA-256', () => {
    const digest = argsDigest({ namespace: 'prod', name: 'web' });
    expect(digest).toBe(argsDigest({ name: 'web', namespace: 'prod' }));
    expect(digest).toBe(createHash('sha256').update('{"name":"web","namespace":"prod"}').digest('hex'));
    expect(digest).not.toBe(argsDigest({ name: 'web', namespace: 'dev' }));
  });
});
