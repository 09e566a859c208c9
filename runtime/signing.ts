// Ed25519 keys of signed decisions and round inputs (docs/operations.md, "Signed decisions"): the API signs
// with its private key, workers hand rounds the public keys. Keys are 32 raw bytes, base64, inline or in a file.
import { createPrivateKey, hkdfSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  liveStreamSigningText,
  type DecisionRequest,
  type QueryRoundInput,
  type Signature,
  type SigningPublicKey,
} from '../workflows/contract.ts';
import { decisionSigningText, roundSigningText } from '../workflows/shared/signatures.ts';
import { ConfigError } from './config.ts';

/** A key as the config's `signing` section names it: inline base64, or a file holding it. */
interface KeyRef {
  id: string;
  key?: string;
  file?: string;
}

/** The config's `signing` section. */
export interface SigningConfig {
  privateKey?: KeyRef;
  publicKeys?: KeyRef[];
}

const HELP = 'see docs/operations.md, "Signed decisions"';

function keyBytes(ref: KeyRef, what: string): Buffer {
  let encoded: string;
  try {
    encoded = ref.key ?? readFileSync(ref.file ?? '', 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`${what} '${ref.id}': cannot read ${ref.file}: ${(error as Error).message}`);
  }
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== 32)
    throw new ConfigError(`${what} '${ref.id}' must be 32 bytes, base64-encoded (got ${bytes.length} bytes)`);
  return bytes;
}

/** The API's signer; without `signing.privateKey` the API does not start (it would send what no round accepts). */
export function loadSigner(signing: SigningConfig | undefined): Signer {
  const ref = signing?.privateKey;
  if (!ref)
    throw new ConfigError(`signing.privateKey is missing: the API signs every decision and round it starts (${HELP})`);
  return new Signer(ref.id, keyBytes(ref, 'signing.privateKey').toString('hex'));
}

/** The worker's keys for rounds; without `signing.publicKeys` the worker does not start (no round could verify). */
export function loadPublicKeys(signing: SigningConfig | undefined): SigningPublicKey[] {
  const refs = signing?.publicKeys;
  if (!refs)
    throw new ConfigError(`signing.publicKeys is missing: rounds verify decisions and their input with them (${HELP})`);
  return refs.map((ref) => ({ id: ref.id, key: keyBytes(ref, 'signing.publicKeys').toString('hex') }));
}

/** PKCS#8 DER of an Ed25519 private key, up to the 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export class Signer {
  readonly keyId: string;
  private readonly secretKey: string;
  /**
   * The same key for Node's own Ed25519: the signatures are RFC 8032's, byte for byte what `signText` (pure JS,
   * for the workflow sandbox) makes, at a small part of its cost on every round start and decision.
   */
  private readonly key: KeyObject;

  constructor(keyId: string, secretKeyHex: string) {
    this.keyId = keyId;
    this.secretKey = secretKeyHex;
    this.key = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(secretKeyHex, 'hex')]),
      format: 'der',
      type: 'pkcs8',
    });
  }

  private signText(text: string): Signature {
    return { keyId: this.keyId, sig: sign(null, Buffer.from(text, 'utf8'), this.key).toString('hex') };
  }

  /** Reads a private key file (base64), as written by `toolgate signing-keys`. */
  static fromFile(keyId: string, path: string): Signer {
    return new Signer(keyId, keyBytes({ id: keyId, file: path }, 'private key').toString('hex'));
  }

  /** A secret of its own for `purpose` (HKDF-SHA256 of the private key): every API replica derives the same one. */
  derivedKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', Buffer.from(this.secretKey, 'hex'), '', `toolgate ${purpose}`, 32));
  }

  decision(request: Omit<DecisionRequest, 'signature'>): DecisionRequest {
    return { ...request, signature: this.signText(decisionSigningText(request)) };
  }

  /** A request for round `roundId`'s live events, issued at `issuedAt` (workers answer it for a minute). */
  liveStream(roundId: string, issuedAt: string): Signature {
    return this.signText(liveStreamSigningText(roundId, issuedAt));
  }

  /** The input of round `roundId`, started now: named, timed and signed. */
  roundInput(
    roundId: string,
    input: Omit<QueryRoundInput, 'signature' | 'roundId' | 'startedAt'>,
    startedAt = new Date(),
  ): QueryRoundInput {
    const named: QueryRoundInput = { ...input, roundId, startedAt: startedAt.toISOString() };
    return { ...named, signature: this.signText(roundSigningText(named)) };
  }
}

/** A new key pair, base64 (what `signing.privateKey` and `signing.publicKeys` hold). */
export function generateSigningKeys(): { privateKey: string; publicKey: string } {
  const { secretKey, publicKey } = ed25519.keygen();
  return {
    privateKey: Buffer.from(secretKey).toString('base64'),
    publicKey: Buffer.from(publicKey).toString('base64'),
  };
}
