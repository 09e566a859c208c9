// The codec's own checks on what it is asked to open: a sealed payload too short for its IV and a full
// 16-byte tag never opens, and is refused before AES-GCM would accept a truncated tag.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CodecError, ENCRYPTED_ENCODING, EncryptionCodec, loadCodecKeys } from '../../runtime/payload-codec.ts';

const codec = new EncryptionCodec(loadCodecKeys([{ id: 'k1', secret: randomBytes(32).toString('base64') }]));
const bytes = (text: string) => new TextEncoder().encode(text);
const sealedWith = (data: Uint8Array) => ({
  metadata: { encoding: bytes(ENCRYPTED_ENCODING), 'encryption-key-id': bytes('k1') },
  data,
});

describe('EncryptionCodec.open', () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  afterEach(() => {
    warnings.length = 0;
  });

  it('refuses data shorter than IV and tag without asking AES-GCM to check a truncated tag', async () => {
    for (const length of [0, 5, 12, 20, 27]) {
      expect(() => codec.open(sealedWith(randomBytes(length))), `${length} bytes`).toThrow(CodecError);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((warning) => (warning as { code?: string }).code)).not.toContain('DEP0182');
  });

  it('opens what it sealed, and not the same with its tag cut short', async () => {
    const [sealed] = await codec.encode([{ metadata: {}, data: bytes('"hello"') }], {
      type: 'workflow',
      namespace: 'default',
      workflowId: 'r',
    });
    expect(new TextDecoder().decode(codec.open(sealed!).data)).toBe('"hello"');
    const cut = { ...sealed!, data: sealed!.data!.subarray(0, sealed!.data!.length - 4) };
    expect(() => codec.open(cut)).toThrow(CodecError);
  });
});
