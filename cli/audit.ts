// `toolgate audit`: the audit trail over GET /v1/audit, as a table or an NDJSON export; `toolgate audit verify`
// checks such an export offline, with no server (docs/clients.md, "Audit").
import { readFileSync } from 'node:fs';
import {
  type AUDIT_FILTERS,
  AuditPublicKeys,
  verifyAuditExport,
  type AuditEntry,
  type AuditPage,
} from '../runtime/audit.ts';
import { PROGRAM, formatTable, oneLine } from './format.ts';
import { EXIT, type Session } from './session.ts';
import { UsageError } from './usage.ts';

/** `audit verify` found a line that does not verify. */
export const EXIT_NOT_VERIFIED = 6;

export type AuditFilter = Partial<Record<(typeof AUDIT_FILTERS)[number], string>>;

/** Characters a terminal would act on or hide (controls, bidi overrides, zero-width): shown as \uXXXX. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Model and MCP text reaches a person's terminal: nothing in it may move the cursor or hide what follows. */
function shown(text: string, max = 60): string {
  return oneLine(
    text.replace(HIDDEN, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
    max,
  );
}

function row(entry: AuditEntry): string[] {
  const decider = entry.decision ? `${entry.decision.approver.id} (${entry.decision.approver.channel})` : '-';
  return [
    entry.closedAt ?? entry.openedAt,
    shown(entry.approvalId, 140),
    shown(`${entry.server}/${entry.tool}`),
    entry.outcome,
    shown(decider),
    shown(entry.requester),
    entry.decision?.reason === undefined ? '' : shown(entry.decision.reason),
  ];
}

/** Every page; with `ndjson` each entry is printed as it arrives, one JSON line each (the verifiable export). */
export async function auditTrail(session: Session, filter: AuditFilter, ndjson: boolean): Promise<number> {
  const entries: AuditEntry[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams(Object.entries(filter).filter((pair): pair is [string, string] => !!pair[1]));
    if (pageToken) query.set('pageToken', pageToken);
    const page = await session.client.request<AuditPage>('GET', `/v1/audit?${query.toString()}`);
    if (ndjson) for (const entry of page.entries) session.out(JSON.stringify(entry));
    else entries.push(...page.entries);
    pageToken = page.nextPageToken;
  } while (pageToken);
  if (ndjson) return EXIT.ok;
  if (session.json) session.out(JSON.stringify({ entries }, null, 2));
  else if (entries.length === 0) session.out('No audit entries.');
  else
    session.out(
      formatTable(['AT', 'APPROVAL', 'TOOL', 'OUTCOME', 'DECIDED BY', 'REQUESTER', 'REASON'], entries.map(row)),
    );
  return EXIT.ok;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as Error).message}`, 'audit');
  }
}

/** `audit verify <file> [--public-keys <file>]`: 0 and a summary when every line verifies, else the first that does not. */
export function verifyExport(
  io: Pick<Session, 'out' | 'err'>,
  file: string,
  publicKeysFile: string | undefined,
): number {
  let keys: AuditPublicKeys | undefined;
  if (publicKeysFile !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readText(publicKeysFile, 'public keys'));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`--public-keys ${publicKeysFile} is not JSON`, 'audit');
    }
    const parsed = AuditPublicKeys.safeParse(json);
    if (!parsed.success)
      throw new UsageError(`--public-keys takes a JSON array of {"id": ..., "key": <base64>}`, 'audit');
    keys = parsed.data;
  }
  const verdict = verifyAuditExport(readText(file, 'export'), keys);
  if (!verdict.ok) {
    io.err(`${PROGRAM}: ${file}:${verdict.line}: does not verify: ${shown(verdict.why, 300)}`);
    return EXIT_NOT_VERIFIED;
  }
  const signatures = keys
    ? `, ${verdict.signatures} decision signatures`
    : ' (signatures not checked: no --public-keys)';
  const gaps = verdict.gaps > 0 ? `; ${verdict.gaps} gaps where a filter or access left entries out` : '';
  io.out(`${file}: ${verdict.entries} entries of ${verdict.rounds} rounds verify: hash chains${signatures}${gaps}`);
  return EXIT.ok;
}
