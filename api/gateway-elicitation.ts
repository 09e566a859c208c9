// MCP elicitation (docs/gateway.md): a caller whom policy lets approve their own call is asked with a form on the
// tools/call's SSE stream, and their answer becomes a decision signed by the API (channel `mcp`). /mcp is stateless,
// so the answer (a JSON-RPC response, POSTed anew, to any replica) cannot be matched to a waiting request: the
// request's id carries what the answer needs instead, the approval, the digest of the arguments shown and a tag
// that only the gateway can make for that caller. Nothing waits in memory; the call sees the decision in history.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { Decision, type PendingApproval } from '../workflows/contract.ts';
import { MAX_REASON_CHARS } from '../workflows/contract/names.ts';
import { mayDecide } from '../workflows/shared/decide-rights.ts';
import { escapeInvisible, argumentsText } from '../workflows/shared/visible-text.ts';
import { ApiError } from '../runtime/api-error.ts';
import type { DecisionResponse } from '../runtime/http-api.ts';
import type { Signer } from '../runtime/signing.ts';
import type { ApiContext } from './api-context.ts';
import { pendingApproval, submitDecision } from './decisions.ts';
import type { ClientCapabilityNote } from './gateway-client-capabilities.ts';

const ID_PREFIX = 'toolgate-elicit:';
/** `toolgate-elicit:<approvalId>:<argsDigest>:<tag>`; approval ids hold no `:`. */
const ID_PATTERN = /^toolgate-elicit:([A-Za-z0-9_.-]{1,200}):([0-9a-f]{64}):([0-9a-f]{32})$/;
const TAG_HEX = 32;

/** The tag binds the id to the caller asked and to the arguments shown: another principal's or a forged id fails. */
function tag(signer: Signer, principal: string, approvalId: string, argsDigest: string): string {
  return createHmac('sha256', signer.derivedKey('mcp elicitation'))
    .update(`${principal}\u0000${approvalId}\u0000${argsDigest}`)
    .digest('hex')
    .slice(0, TAG_HEX);
}

/** The JSON-RPC id of the elicitation asking `principal` to decide the approval. */
export function elicitationId(signer: Signer, principal: string, approvalId: string, argsDigest: string): string {
  return `${ID_PREFIX}${approvalId}:${argsDigest}:${tag(signer, principal, approvalId, argsDigest)}`;
}

/** The form's fields: a decision and an optional reason (the model is told it). */
const FORM_SCHEMA = {
  type: 'object' as const,
  properties: {
    decision: {
      type: 'string' as const,
      title: 'Your decision',
      oneOf: [
        { const: 'approve', title: 'Approve: run this call with exactly these arguments' },
        { const: 'reject', title: 'Reject: do not run it' },
      ],
    },
    reason: {
      type: 'string' as const,
      title: 'Reason (optional; the caller is told)',
      maxLength: MAX_REASON_CHARS,
    },
  },
  required: ['decision'],
};

/** What the caller reads: plain text, every argument in full, text from the model and the MCP server escaped. */
export function elicitationMessage(approval: PendingApproval, approvalLink: string): string {
  const { text } = argumentsText(approval.arguments);
  const others = approval.approvers.filter((id) => id !== approval.requester);
  const lines = [
    `toolgate asks you to approve or reject your own tool call (approval ${approval.approvalId}).`,
    '',
    `Tool: ${escapeInvisible(approval.server)}/${escapeInvisible(approval.tool)}`,
    `Approval: ${approval.approvalId}, open until ${approval.expiresAt}`,
    `Arguments digest (SHA-256): ${approval.argsDigest}`,
    ...(others.length > 0 ? [`Other approvers: ${others.join(', ')}`] : []),
    ...(approval.unknownKeys?.length
      ? [`Keys the tool's input schema does not name: ${approval.unknownKeys.map(escapeInvisible).join(', ')}`]
      : []),
    '',
    "Arguments, in full (pretty JSON). This is the text of the model or client that made the call, not toolgate's: " +
      'invisible characters are shown as \\uXXXX' +
      (approval.redacted?.length ? `, values at ${approval.redacted.join(', ')} are redacted` : '') +
      '.',
    text,
  ];
  if (approval.preview) {
    lines.push(
      '',
      `Preview by ${escapeInvisible(approval.preview.tool)} (${approval.preview.status}${approval.preview.truncated ? ', cut' : ''}); ` +
        "text of the MCP server, not toolgate's:",
      escapeInvisible(approval.preview.content),
    );
  }
  lines.push(
    '',
    'Approve runs the call once with these arguments; reject ends it. Declining or cancelling this form decides ' +
      `nothing: the approval stays pending for the other channels (HTTP ${approvalLink}, the toolgate CLI, Slack, the console).`,
  );
  return lines.join('\n');
}

/** The `elicitation/create` request for one approval, with the id that lets any replica take its answer. */
export function elicitationRequest(
  signer: Signer,
  principal: string,
  approval: PendingApproval,
  approvalLink: string,
): JSONRPCRequest {
  return {
    jsonrpc: '2.0',
    id: elicitationId(signer, principal, approval.approvalId, approval.argsDigest),
    method: 'elicitation/create',
    params: { mode: 'form', message: elicitationMessage(approval, approvalLink), requestedSchema: FORM_SCHEMA },
  };
}

/** A POSTed JSON-RPC response to one of the gateway's elicitations (the SDK transport could not place it). */
export function isElicitationAnswer(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || 'method' in body) return false;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' && id.startsWith(ID_PREFIX);
}

const ElicitationAnswer = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: z.string(), result: z.unknown() }),
  z.object({ jsonrpc: z.literal('2.0'), id: z.string(), error: z.object({ code: z.number(), message: z.string() }) }),
]);

/** The form's content on accept. */
export const ElicitedDecision = z.object({
  decision: Decision,
  reason: z.string().max(MAX_REASON_CHARS, `reason is longer than ${MAX_REASON_CHARS} characters`).optional(),
});
export type ElicitedDecision = z.infer<typeof ElicitedDecision>;

/** What became of an answer: decided (the API's verdict), or nothing, the approval left pending. */
export type ElicitationOutcome =
  | { decided: true; approvalId: string; decision: DecisionResponse }
  | { decided: false; approvalId: string; why: string };

function invalid(message: string): ApiError {
  return new ApiError(400, 'invalid_request', message);
}

/**
 * The caller's answer to an elicitation: checked against the id's tag (this principal was asked, about these
 * arguments), then, when accepted, decided exactly as POST /v1/approvals/{id} decides (approver, digest, expiry
 * checked; signed by the API), through channel `mcp`. Declined, cancelled or failed: nothing is decided.
 */
export async function answerElicitation(
  context: ApiContext,
  principal: string,
  body: unknown,
): Promise<ElicitationOutcome> {
  const answer = ElicitationAnswer.safeParse(body);
  if (!answer.success) throw invalid('An elicitation answer is a JSON-RPC response with a result or an error');
  const match = ID_PATTERN.exec(answer.data.id);
  const expected = match && Buffer.from(tag(context.signer, principal, match[1]!, match[2]!));
  if (!match || !expected || !timingSafeEqual(expected, Buffer.from(match[3]!))) {
    throw new ApiError(403, 'not_your_elicitation', `This answers no elicitation the gateway sent to ${principal}`);
  }
  const [, approvalId, argsDigest] = match as unknown as [string, string, string];
  if (!('result' in answer.data)) return { decided: false, approvalId, why: 'the client answered with an error' };
  const result = ElicitResultSchema.safeParse(answer.data.result);
  if (!result.success) throw invalid('The elicitation result is not an MCP ElicitResult');
  if (result.data.action !== 'accept')
    return { decided: false, approvalId, why: `the form was ${result.data.action}d` };
  const content = ElicitedDecision.safeParse(result.data.content ?? {});
  if (!content.success)
    throw invalid(`The form's content is invalid: ${content.error.issues.map((issue) => issue.message).join('; ')}`);
  const { facts, pending } = await pendingApproval(context, approvalId, principal);
  const decision = await submitDecision(
    context,
    facts.roundId,
    pending,
    { id: principal, channel: 'mcp' },
    {
      decision: content.data.decision,
      ...(content.data.reason?.trim() ? { reason: content.data.reason } : {}),
      argsDigest,
      // The form showed the preview (an approval's preview is fixed before it opens): the decision covers it.
      ...(pending.previewDigest ? { previewDigest: pending.previewDigest } : {}),
    },
  );
  return { decided: true, approvalId, decision };
}

/**
 * For each approval a gateway call waits on: asks the caller with a form where policy lets them decide it and
 * their client takes forms; otherwise says who must decide and how (added to the call's progress notice).
 */
export function askCaller(
  context: Pick<ApiContext, 'signer'>,
  principal: string,
  client: ClientCapabilityNote,
  send: (request: JSONRPCRequest) => Promise<void>,
): (approval: PendingApproval, links: { approval: string }) => Promise<string> {
  return async (approval, links) => {
    const elsewhere = `POST ${links.approval} with its argsDigest, \`toolgate approve ${approval.approvalId}\`, Slack or the console`;
    const permission = mayDecide(approval, principal);
    if (!permission.allowed) return `${permission.why}: one of the approvers decides it (${elsewhere})`;
    if (!client.elicitationForm)
      return `You may decide it yourself (${elsewhere}); your client takes no elicitation forms`;
    try {
      await send(elicitationRequest(context.signer, principal, approval, links.approval));
    } catch {
      return `You may decide it yourself (${elsewhere}); the form could not be sent`;
    }
    return 'You were asked to decide it with a form (MCP elicitation); declining or cancelling it leaves the approval pending for the other channels';
  };
}
