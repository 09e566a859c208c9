// The audit trail's format (GET /v1/audit, `toolgate audit`): one entry per approval, each round's entries a
// SHA-256 hash chain over their canonical JSON, so that an export is checked offline (`toolgate audit verify`)
// without trusting the API that wrote it (docs/clients.md, "Audit").
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../workflows/shared/digest.ts';
import { decisionSigningText } from '../workflows/shared/signatures.ts';
import { Decision, GrantUse, RecordedApprover, RememberRequest, type Approver } from '../workflows/contract.ts';
import { FilterText } from './filter-text.ts';

/** What the first entry of a round's chain follows. */
export const GENESIS_HASH = '0'.repeat(64);

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a hash is 64 hex characters');

export const AuditOutcome = z.enum(['approved', 'rejected', 'expired', 'cancelled', 'pending']);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

/** A decision's signature, carried as the round received it; checked only against given public keys. */
export const AuditSignature = z.strictObject({ keyId: z.string(), sig: z.string() });

/** The decision the round applied, as it was sent: exactly the fields its signature covers, and the signature. */
export const AuditDecision = z.strictObject({
  decision: Decision,
  /** Channel `grant` (id `grant:<grantId>`): no person decided, a remembered grant did, and nothing was signed. */
  approver: RecordedApprover.strict(),
  receivedAt: z.string().optional(),
  reason: z.string().optional(),
  /** The digest the approver sent (what they reviewed); the approval's own is the entry's argsDigest. */
  argsDigest: z.string().optional(),
  /** Edit on approve: the arguments the approver had run instead, and their digest (which the signature covers). */
  arguments: z.record(z.string(), z.unknown()).optional(),
  editedArgsDigest: z.string().optional(),
  /** The preview digest the approver sent, when the approval had a preview: covered by the signature. */
  previewDigest: z.string().optional(),
  signature: AuditSignature.optional(),
  /** The decision asked to remember (covered by its signature). */
  remember: RememberRequest.optional(),
});
export type AuditDecision = z.infer<typeof AuditDecision>;

/** Strict: a field added to an exported line is a tampered line, not one to ignore. */
export const AuditEntry = z.strictObject({
  roundId: z.string(),
  approvalId: z.string(),
  /** Place in the round's chain, from 0: closed approvals in the order they closed, pending ones last. */
  seq: z.number().int().min(0),
  /** The previous entry's hash; GENESIS_HASH for seq 0. */
  prevHash: Sha256Hex,
  requester: z.string(),
  approvers: z.array(z.string()),
  allowSelfApproval: z.boolean(),
  server: z.string(),
  tool: z.string(),
  /** SHA-256 of the canonical JSON of the full arguments: what was approved. */
  argsDigest: z.string(),
  /**
   * Approved with changes: the approval's own arguments (digest `argsDigest`), beside the decision's `arguments`
   * that ran. Known from the round's answer to the decision; absent when the edit arrived queued (a signal).
   */
  originalArguments: z.record(z.string(), z.unknown()).optional(),
  openedAt: z.string(),
  expiresAt: z.string(),
  outcome: AuditOutcome,
  decision: AuditDecision.optional(),
  /**
   * A quorum approval: what it required (`approvals.groups` as the round resolved them) and every decision it
   * counted, in order; `decision` is the one that closed it. Absent for single-approver approvals.
   */
  quorum: z
    .strictObject({
      requirements: z.array(
        z.strictObject({ group: z.string(), count: z.number().int().min(1), members: z.array(z.string()) }),
      ),
      rejectWith: z.enum(['first', 'quorum']),
    })
    .optional(),
  decisions: z.array(AuditDecision).optional(),
  /**
   * An approval with reminders: every step the round took while it waited, in order (a reminder, an escalation
   * with the people added, an extension with the new expiry); `approvers` and `expiresAt` are as they ended.
   */
  reminders: z
    .array(
      z.strictObject({
        kind: z.enum(['reminder', 'escalation', 'extension']),
        at: z.string(),
        to: z.array(z.string()).optional(),
        group: z.string().optional(),
        expiresAt: z.string().optional(),
      }),
    )
    .optional(),
  /**
   * The configuration the round started on and, when a policy re-check touched the approval, under which one and
   * what it did (`released`/`rejected`: closed by `policy`, no decision to sign). Absent for rounds before it.
   */
  policy: z
    .strictObject({
      startedOn: z.string().optional(),
      recheckedOn: z.string().optional(),
      outcome: z.enum(['unchanged', 'loosened', 'readdressed', 'released', 'rejected']).optional(),
      note: z.string().optional(),
    })
    .optional(),
  /** The preview the approval showed (policy `preview`): its tool, whether it ran, when, and its digest. */
  preview: z
    .strictObject({ tool: z.string(), status: z.enum(['ok', 'failed']), at: z.string(), digest: Sha256Hex })
    .optional(),
  /** Approved by this remembered grant: which, whose decision it remembers and of which approval. */
  grant: GrantUse.strict().optional(),
  /** The grant this approval's decision created (approve and remember). */
  grantCreated: z.string().optional(),
  /** When the round recorded the close (the history event's time). */
  closedAt: z.string().optional(),
  /** The history event that carried the decision; for other outcomes, the one that recorded the close or open. */
  eventId: z.number().int().min(1),
  /** SHA-256 (hex) of the canonical JSON of every other field. */
  hash: Sha256Hex,
});
export type AuditEntry = z.infer<typeof AuditEntry>;
export type UnchainedEntry = Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>;

export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(entry)).digest('hex');
}

/** One round's entries, in order, chained. */
export function chainEntries(entries: UnchainedEntry[]): AuditEntry[] {
  let prevHash = GENESIS_HASH;
  return entries.map((entry, seq) => {
    const linked = { ...entry, seq, prevHash };
    prevHash = entryHash(linked);
    return { ...linked, hash: prevHash };
  });
}

export const AUDIT_FILTERS = ['approver', 'requester', 'server', 'tool', 'outcome', 'since', 'until'] as const;

const IsoTime = z.iso.datetime({ offset: true, error: 'an ISO time, e.g. 2026-01-31T00:00:00Z' });

export const AuditQuery = z.strictObject({
  /** Who decided (the decision's approver id). */
  approver: FilterText.optional(),
  requester: FilterText.optional(),
  server: FilterText.optional(),
  tool: FilterText.optional(),
  outcome: AuditOutcome.optional(),
  /** Entries closed (pending: opened) at or after this time. */
  since: IsoTime.optional(),
  /** ... and before this time. */
  until: IsoTime.optional(),
  /** Rounds read per page: a page holds every entry of those rounds the caller may see. */
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  pageToken: z.string().max(4096).optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditPage = z.object({ entries: z.array(AuditEntry), nextPageToken: z.string().optional() });
export type AuditPage = z.infer<typeof AuditPage>;

/** A public key as `signing.publicKeys` holds it inline: an id and 32 raw bytes, base64. */
export const AuditPublicKeys = z.array(z.object({ id: z.string().min(1), key: z.string().min(1) }));
export type AuditPublicKeys = z.infer<typeof AuditPublicKeys>;

/** The text a decision's signature covers, exactly as the API signs it and the round verifies it. */
export function decisionSigningBytes(approvalId: string, decision: PersonsDecision): Buffer {
  const { signature: _signature, ...signed } = decision;
  return Buffer.from(decisionSigningText({ approvalId, ...signed }), 'utf8');
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo: Node takes raw keys only wrapped in one. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function ed25519Key(base64: string): KeyObject | undefined {
  const raw = Buffer.from(base64, 'base64');
  if (raw.length !== 32) return undefined;
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Why the signature does not vouch for `bytes` with one of `keys`, or undefined when it does. */
export function signatureProblem(
  bytes: Buffer,
  signature: { keyId: string; sig: string } | undefined,
  keys: AuditPublicKeys,
): string | undefined {
  if (!signature) return 'the decision is not signed';
  const ref = keys.find((candidate) => candidate.id === signature.keyId);
  if (!ref) return `the decision is signed with key '${signature.keyId}', which is not among the public keys`;
  const key = ed25519Key(ref.key);
  if (!key) return `public key '${ref.id}' is not 32 bytes, base64`;
  const sig = Buffer.from(signature.sig, 'hex');
  const valid = sig.length === 64 && verify(null, bytes, key, sig);
  return valid ? undefined : `the decision's signature (key '${signature.keyId}') does not match its content`;
}

/** A decision a person made through the API (signed), not one a remembered grant made. */
type PersonsDecision = AuditDecision & { approver: Approver };

function byPerson(decision: AuditDecision): decision is PersonsDecision {
  return decision.approver.channel !== 'grant';
}

/**
 * Every decision an entry names that a person signed, each once: a quorum's closing decision is also the last of
 * its decisions. A grant's decision is vouched for by the signed decision that created the grant.
 */
function signedDecisions(entry: Pick<AuditEntry, 'decision' | 'decisions'>): PersonsDecision[] {
  const decisions = [...(entry.decisions ?? [])];
  const { decision } = entry;
  if (decision && !decisions.some((counted) => canonicalJson(counted) === canonicalJson(decision)))
    decisions.push(decision);
  return decisions.filter(byPerson);
}

const sha256Hex = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex');

/** An edit's argument sets must be the ones their digests (and so the signature) name. */
function digestMismatch(entry: Omit<AuditEntry, 'hash'>): string | undefined {
  if (entry.originalArguments && sha256Hex(entry.originalArguments) !== entry.argsDigest)
    return 'its originalArguments do not match its argsDigest';
  for (const decision of signedDecisions(entry))
    if (decision.arguments && sha256Hex(decision.arguments) !== decision.editedArgsDigest)
      return "a decision's edited arguments do not match its editedArgsDigest";
  return undefined;
}

export type AuditVerdict =
  | { ok: true; entries: number; rounds: number; signatures: number; gaps: number }
  | { ok: false; line: number; why: string };

/**
 * Checks an NDJSON export line by line: each entry's hash, each round's chain (an entry follows the one before
 * it in its round), and with public keys each decision's signature. Rounds may be interleaved; entries a filter
 * or the reader's access left out show as gaps, which break no chain but are counted.
 */
export function verifyAuditExport(text: string, keys?: AuditPublicKeys): AuditVerdict {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const last = new Map<string, { seq: number; hash: string; line: number }>();
  let signatures = 0;
  let gaps = 0;
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return { ok: false, line, why: 'not JSON' };
    }
    const parsed = AuditEntry.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return { ok: false, line, why: `not an audit entry (${issue.path.join('.') || 'entry'}: ${issue.message})` };
    }
    const { hash, ...covered } = parsed.data;
    if (entryHash(covered) !== hash) return { ok: false, line, why: 'its hash does not match its content' };
    const previous = last.get(covered.roundId);
    if (covered.seq === 0 && covered.prevHash !== GENESIS_HASH)
      return { ok: false, line, why: 'the first entry of its round does not start the chain' };
    if (previous && covered.seq <= previous.seq)
      return {
        ok: false,
        line,
        why: `out of order: entry ${covered.seq} after entry ${previous.seq} (line ${previous.line})`,
      };
    if (covered.seq !== (previous ? previous.seq + 1 : 0)) gaps++;
    else if (previous && covered.prevHash !== previous.hash)
      return { ok: false, line, why: `it does not follow line ${previous.line}: prevHash is not that entry's hash` };
    last.set(covered.roundId, { seq: covered.seq, hash, line });
    const mismatch = digestMismatch(covered);
    if (mismatch) return { ok: false, line, why: mismatch };
    if (keys) {
      for (const decision of signedDecisions(covered)) {
        const problem = signatureProblem(decisionSigningBytes(covered.approvalId, decision), decision.signature, keys);
        if (problem) return { ok: false, line, why: problem };
        signatures++;
      }
    }
  }
  return { ok: true, entries: lines.length, rounds: last.size, signatures, gaps };
}
