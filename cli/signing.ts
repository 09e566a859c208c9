// Offline commands for operators who decide or start rounds with the Temporal CLI instead of the API: they
// sign what they send with the API's key, since rounds refuse anything unsigned (docs/operations.md,
// "Signed decisions"). Nothing here talks to the API.
import { writeFileSync } from 'node:fs';
import { Signer, generateSigningKeys } from '../runtime/signing.ts';
import { ConfigError } from '../runtime/config.ts';
import { Decision, DecisionChannel, QueryRoundInput, ROUND_ID_PATTERN } from '../workflows/contract.ts';
import { UsageError } from './usage.ts';

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

function required(values: Values, name: string, topic: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`missing --${name}`, topic);
  return value;
}

function signer(values: Values, topic: string): Signer {
  try {
    return Signer.fromFile(required(values, 'key-id', topic), required(values, 'key', topic));
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, topic);
    throw error;
  }
}

/** `toolgate signing-keys`: a new Ed25519 key pair, base64, one key per file (the private one readable by its owner only). */
export function writeSigningKeys(values: Values): string {
  const privateFile = required(values, 'private', 'signing-keys');
  const publicFile = required(values, 'public', 'signing-keys');
  const { privateKey, publicKey } = generateSigningKeys();
  writeFileSync(privateFile, `${privateKey}\n`, { mode: 0o600, flag: 'wx' });
  writeFileSync(publicFile, `${publicKey}\n`, { flag: 'wx' });
  return `wrote ${privateFile} (signing.privateKey of the API) and ${publicFile} (signing.publicKeys of workers)`;
}

/** `toolgate sign-decision`: the `decide` signal's input, signed and stamped now. */
export function signDecision(values: Values): string {
  const topic = 'sign-decision';
  const decision = Decision.safeParse(required(values, 'decision', topic));
  if (!decision.success) throw new UsageError('--decision takes approve or reject', topic);
  const channel = DecisionChannel.safeParse(typeof values.channel === 'string' ? values.channel : 'cli');
  if (!channel.success) throw new UsageError(`--channel takes ${DecisionChannel.options.join(', ')}`, topic);
  const reason = typeof values.reason === 'string' ? values.reason : undefined;
  if (decision.data === 'reject' && !reason?.trim()) throw new UsageError('a rejection needs --reason <text>', topic);
  const digest = typeof values.digest === 'string' ? values.digest.toLowerCase() : undefined;
  if (digest !== undefined && !/^[0-9a-f]{64}$/.test(digest))
    throw new UsageError('--digest takes the 64 hex characters of a SHA-256', topic);
  const request = signer(values, topic).decision({
    approvalId: required(values, 'approval', topic),
    decision: decision.data,
    approver: { id: required(values, 'approver', topic), channel: channel.data },
    receivedAt: new Date().toISOString(),
    ...(reason ? { reason } : {}),
    ...(digest ? { argsDigest: digest } : {}),
  });
  return JSON.stringify(request);
}

/** `toolgate sign-round`: a round's input for `temporal workflow start --workflow-id <round>`, signed for that id and now. */
export function signRound(values: Values): string {
  const topic = 'sign-round';
  const roundId = required(values, 'round', topic);
  if (!ROUND_ID_PATTERN.test(roundId))
    throw new UsageError('--round takes letters, digits, _ and - (at most 128)', topic);
  let extra: unknown = {};
  if (typeof values.input === 'string') {
    try {
      extra = JSON.parse(values.input);
    } catch {
      throw new UsageError('--input takes a JSON object (messages, servers, maxSteps)', topic);
    }
  }
  const input = QueryRoundInput.omit({ roundId: true, startedAt: true, signature: true }).safeParse({
    ...(extra as object),
    query: required(values, 'query', topic),
    requester: required(values, 'requester', topic),
  });
  if (!input.success) throw new UsageError(input.error.issues.map((issue) => issue.message).join('; '), topic);
  return JSON.stringify(signer(values, topic).roundInput(roundId, input.data));
}
