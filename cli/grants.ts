// `grants` (list) and `grants revoke <grantId>`: the remembered grants of the API's GET and DELETE /v1/grants.
import type { GrantListResponse, RevokeGrantResponse } from '../runtime/http-api.ts';
import { grantLine } from './format.ts';
import { EXIT, type Session } from './session.ts';

export async function listGrants(session: Session, requester: string | undefined): Promise<number> {
  const query = requester === undefined ? '' : `?${new URLSearchParams({ requester }).toString()}`;
  const answer = await session.client.request<GrantListResponse>('GET', `/v1/grants${query}`);
  if (session.json) session.out(JSON.stringify(answer, null, 2));
  else if (answer.grants.length === 0) session.out(`no live grants of ${answer.requester}`);
  else session.out(answer.grants.map(grantLine).join('\n'));
  return EXIT.ok;
}

export async function revokeGrant(session: Session, grantId: string): Promise<number> {
  const answer = await session.client.request<RevokeGrantResponse>(
    'DELETE',
    `/v1/grants/${encodeURIComponent(grantId)}`,
  );
  session.out(
    session.json
      ? JSON.stringify(answer, null, 2)
      : `revoked ${grantLine(answer.grant)}\ncalls it covered ask a person again`,
  );
  return EXIT.ok;
}

/** `--remember 8h --pattern namespace=dev-*`: what the decision asks to remember. */
export function rememberOption(
  ttl: string | undefined,
  patterns: string[] | undefined,
  fail: (message: string) => Error,
): { remember?: { ttl: string; pattern?: Record<string, string> } } {
  if (ttl === undefined) {
    if (patterns?.length) throw fail('--pattern goes with --remember <ttl>');
    return {};
  }
  if (!/^\d+(ms|s|m|h|d)$/.test(ttl)) throw fail('--remember takes a duration such as 30m, 8h or 1d');
  if (!patterns?.length) return { remember: { ttl } };
  const pattern: Record<string, string> = {};
  for (const entry of patterns) {
    const at = entry.indexOf('=');
    if (at < 1 || at === entry.length - 1) throw fail(`--pattern takes path=glob, not '${entry}'`);
    pattern[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return { remember: { ttl, pattern } };
}

/** What the approver is asked to confirm besides the call: the grant it would make. */
export function rememberQuestion(remember: { ttl: string; pattern?: Record<string, string> } | undefined): string {
  if (!remember) return '';
  const covers = remember.pattern
    ? `calls whose ${Object.entries(remember.pattern)
        .map(([path, glob]) => `${path} matches ${glob}`)
        .join(' and ')}`
    : 'calls with exactly these arguments';
  return ` And remember it for ${remember.ttl}: the requester's later ${covers} run without asking.`;
}
