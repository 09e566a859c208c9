// Encrypted payloads: every payload toolgate hands Temporal (round input, activity arguments and results, memo,
// summaries, query and update answers) is compressed, then sealed with AES-256-GCM. The key id travels in the
// payload's metadata, so keys can rotate: the first key seals, every listed key opens. The namespace and round a
// payload belongs to travel beside it too, so the codec endpoint decrypts only for principals who may read that
// round.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { LoadedDataConverter, Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import protos from '@temporalio/proto'; // CommonJS without named exports Node can detect

const PayloadProto = protos.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata keys, readable without a key: how to open the payload, and which namespace and round it belongs to. */
export const CodecMetadata = {
  encoding: 'encoding',
  keyId: 'encryption-key-id',
  cipher: 'encryption-cipher',
  round: 'toolgate-round',
  namespace: 'toolgate-namespace',
  /** Which authenticated data the payload was sealed with; absent on payloads sealed before it named the namespace. */
  binding: 'toolgate-binding',
} as const;
const BINDING_V2 = '2';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** Whether a payload is sealed by this codec (whatever key sealed it). */
function isSealed(payload: Payload): boolean {
  return text(payload.metadata?.[CodecMetadata.encoding]) === ENCRYPTED_ENCODING;
}

/**
 * A payload read from history or visibility, opened through the process's codecs and converted. CodecError when
 * it is sealed with a key this process does not hold, or sealed while this process has no codec at all.
 */
export async function openPayload<T>(converter: LoadedDataConverter, payload: Payload): Promise<T> {
  let opened: Payload[] = [payload];
  for (const codec of [...converter.payloadCodecs].reverse()) opened = await codec.decode(opened);
  if (isSealed(opened[0]!)) throw new CodecError('the payload is sealed and this process has no codec keys');
  return converter.payloadConverter.fromPayload<T>(opened[0]!);
}

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | null | undefined): string | undefined =>
  value ? new TextDecoder().decode(value) : undefined;

/** Keys from the config: base64 secrets (`${ENV}`) or files holding them. */
export function loadCodecKeys(keys: Array<{ id: string; secret?: string; file?: string }>): CodecKey[] {
  return keys.map(({ id, secret, file }) => {
    const encoded = secret ?? (file === undefined ? undefined : readFileSync(file, 'utf8').trim());
    const key = Buffer.from(encoded ?? '', 'base64');
    if (key.length !== 32)
      throw new CodecError(`codec key '${id}' must be 32 bytes, base64-encoded (got ${key.length} bytes)`);
    return { id, key };
  });
}

/**
 * The namespace and round labels are authenticated with the ciphertext: relabelled as another round's (one the
 * caller may read) or another namespace's, a payload no longer opens, so the codec endpoint's per-round check
 * cannot be walked around. The run is not known when a client seals a round's input (Temporal assigns it at
 * start), so the endpoint checks every run of the round id instead. Payloads sealed before the namespace was
 * bound carry no binding label and open with the round alone: histories and waiting rounds hold them.
 */
function bindingData(payload: Payload): Buffer {
  const round = payloadRound(payload) ?? '';
  if (text(payload.metadata?.[CodecMetadata.binding]) !== BINDING_V2) return Buffer.from(`toolgate-round:${round}`);
  return Buffer.from(JSON.stringify(['toolgate-payload', BINDING_V2, payloadNamespace(payload) ?? '', round]));
}

export class EncryptionCodec implements PayloadCodec {
  private readonly sealing: CodecKey;
  private readonly byId: Map<string, CodecKey>;

  constructor(keys: CodecKey[]) {
    if (keys.length === 0) throw new CodecError('the payload codec needs at least one key');
    this.sealing = keys[0]!;
    this.byId = new Map(keys.map((key) => [key.id, key]));
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const round = context?.workflowId;
    const namespace = context?.namespace;
    return payloads.map((payload) => {
      const metadata = {
        [CodecMetadata.encoding]: bytes(ENCRYPTED_ENCODING),
        [CodecMetadata.keyId]: bytes(this.sealing.id),
        [CodecMetadata.cipher]: bytes(CIPHER),
        [CodecMetadata.binding]: bytes(BINDING_V2),
        ...(namespace ? { [CodecMetadata.namespace]: bytes(namespace) } : {}),
        ...(round ? { [CodecMetadata.round]: bytes(round) } : {}),
      };
      const plain = deflateRawSync(PayloadProto.encode(payload).finish());
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.sealing.key, iv);
      cipher.setAAD(bindingData({ metadata }));
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.open(payload));
  }

  /** Payloads that are not sealed (written before the codec was on) pass unchanged. */
  open(payload: Payload): Payload {
    if (!isSealed(payload)) return payload;
    const keyId = text(payload.metadata?.[CodecMetadata.keyId]) ?? '';
    const key = this.byId.get(keyId);
    if (!key) throw new CodecError(`payload sealed with codec key '${keyId}', which is not configured`);
    const sealed = Buffer.from(payload.data ?? new Uint8Array());
    // Shorter than IV and tag, AES-GCM would check a truncated tag: such data never opens.
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new CodecError('payload does not open: too short to be sealed');
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, sealed.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      decipher.setAAD(bindingData(payload));
      plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch (error) {
      throw new CodecError('payload does not open: altered, or labelled with another round or namespace', {
        cause: error,
      });
    }
    return PayloadProto.decode(inflateRawSync(plain));
  }
}

/** The round a sealed payload belongs to, readable without a key. */
export function payloadRound(payload: Payload): string | undefined {
  return text(payload.metadata?.[CodecMetadata.round]);
}

/** The namespace a sealed payload belongs to; undefined for payloads sealed before it was bound. */
export function payloadNamespace(payload: Payload): string | undefined {
  return text(payload.metadata?.[CodecMetadata.namespace]);
}

/** The data converter every toolgate process uses: encrypting when `codec` is configured, plain otherwise. */
export function dataConverterFor(codec: { keys: Array<{ id: string; secret?: string; file?: string }> } | undefined) {
  return codec
    ? {
        payloadCodecs: [new EncryptionCodec(loadCodecKeys(codec.keys))],
        failureConverterPath: fileURLToPath(new URL('./encoded-failures.ts', import.meta.url)),
      }
    : undefined;
}
