// Remembered grants in the round: a gated call a live grant of its requester covers runs without asking anyone
// (recorded as approved by that grant), and an approval whose decision asked to remember becomes a grant once
// it closed approved. Both go through activities: only the worker's answer from the requester's grants
// workflow counts, never anything a signal could carry.
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  metricMeter,
  proxyActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import { isPatched } from '../round-patches.ts';
import type { CallSite } from '../call-site.ts';
import { argsDigest } from '../canonical-json.ts';
import { argumentsFacts } from '../argument-facts.ts';
import type { ApprovalRecord, ToolDescriptor, ToolgateActivities } from '../contract.ts';
import type { DecisionRecord, DecisionRequest } from '../contract/decisions.ts';
import { grantProven } from './grant-proof.ts';
import { grantApproverId } from '../contract/grant-ids.ts';
import type { Grant } from '../contract/grants.ts';
import { FailureType } from '../contract/failures.ts';
import { approvalIdFor } from '../contract/ids.ts';
import { approvalSummary } from '../shared/approval-summary.ts';
import type { GateVerdict } from '../approval-gate.ts';
import { displayTool } from '../shared/display-name.ts';
import { markdownName } from '../shared/markdown-text.ts';

/**
 * Since this patch, a gated call first asks the requester's grants, and a decision may remember. Asked only for
 * a tool that may have grants (allowed by policy, one approver, a fingerprinted listing) and when a decision
 * carries `remember`, so rounds without grants replay exactly as before.
 */
export const GRANTS_PATCH = 'remembered-grants';

const lookupOptions: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  // A lookup that fails costs the requester a human approval, never the round, and never waits long for it.
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 2 },
};
const createOptions: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '10 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [FailureType.GrantLimitReached],
  },
};
const { findGrant, createGrant } = proxyActivities<ToolgateActivities>(lookupOptions);

const grantsUsed = metricMeter.createCounter(
  'toolgate_grants_used',
  '1',
  'Gated calls approved by a remembered grant, by server and tool',
);

/** Whether a grant may cover this tool's calls at all; no patch is asked otherwise. */
function mayHaveGrants(tool: ToolDescriptor): tool is ToolDescriptor & { fingerprint: string } {
  return tool.policy.grants !== false && !tool.policy.quorum && tool.fingerprint !== undefined;
}

/** The approval's `rememberable` flag, for the gate to open it with. */
export function rememberTerms(tool: ToolDescriptor): { rememberable?: true } {
  return mayHaveGrants(tool) && isPatched(GRANTS_PATCH) ? { rememberable: true } : {};
}

/**
 * Cleared when a live grant covers the call (the approval is recorded as approved by it). Undefined, with no
 * await, when the tool may have no grants: an extra await would reorder the commands of rounds before grants.
 */
export function passUnderGrant(site: CallSite): Promise<GateVerdict | undefined> | undefined {
  if (!mayHaveGrants(site.tool) || !isPatched(GRANTS_PATCH)) return undefined;
  return lookUpGrant(site, site.tool);
}

async function lookUpGrant(
  site: CallSite,
  tool: ToolDescriptor & { fingerprint: string },
): Promise<GateVerdict | undefined> {
  const { round, args, call, callIndex } = site;
  const digest = argsDigest(args);
  const approvalId = approvalIdFor(round.roundId, round.step, callIndex);
  let grant: Grant | null;
  try {
    grant = await findGrant.executeWithOptions(
      {
        ...lookupOptions,
        summary: `grants of ${markdownName(round.requester)} for ${displayTool(tool.server, tool.name)}`,
      },
      [
        {
          approvalId,
          requester: round.requester,
          server: tool.server,
          tool: tool.name,
          arguments: args,
          argsDigest: digest,
          toolFingerprint: tool.fingerprint,
        },
      ],
    );
  } catch (error) {
    if (isCancellation(error)) throw error;
    log.warn('grant lookup failed; a person decides', { server: tool.server, tool: tool.name });
    return undefined;
  }
  if (!grant) return undefined;
  const lookup = {
    approvalId,
    requester: round.requester,
    server: tool.server,
    tool: tool.name,
    arguments: args,
    argsDigest: digest,
    toolFingerprint: tool.fingerprint,
  };
  if (!grantProven(grant, lookup, (proof) => round.book.signedByKnownKey(proof))) {
    log.warn('a grant without a valid signed decision was ignored', { grantId: grant.grantId });
    return undefined;
  }
  const now = new Date().toISOString();
  const decision: DecisionRecord = {
    decision: 'approve',
    approver: { id: grantApproverId(grant.grantId), channel: 'grant' },
    reason: `approved by grant ${grant.grantId} (from ${grant.createdBy.id}'s decision of ${grant.fromApproval})`,
    argsDigest: digest,
    decidedAt: now,
    grant: { grantId: grant.grantId, grantedBy: grant.createdBy, fromApproval: grant.fromApproval },
  };
  const approval = round.book.approveByGrant(
    {
      approvalId,
      roundId: round.roundId,
      step: round.step,
      callIndex,
      toolCallId: call.id,
      server: tool.server,
      tool: tool.name,
      ...argumentsFacts(tool, args),
      argsDigest: digest,
      requester: round.requester,
      approvers: tool.policy.approvers,
      allowSelfApproval: tool.policy.allowSelfApproval,
      openedAt: now,
      expiresAt: now,
    },
    decision,
  );
  site.record.approvalId = approval.approvalId;
  grantsUsed.add(1, { server: tool.server, tool: tool.name });
  log.info('approved by grant', { approvalId: approval.approvalId, grantId: grant.grantId });
  round.events.emit({ type: 'approval_required', approval: approvalSummary(approval) });
  round.events.emit({ type: 'approval_decided', approvalId: approval.approvalId, status: 'approved', decision });
  return { cleared: true };
}

/**
 * Once the approval closed approved by a decision that asked to remember: the grant, through the worker.
 * Undefined, with no await, otherwise (see passUnderGrant).
 */
export function rememberApproval(site: CallSite): Promise<void> | undefined {
  const { round, tool } = site;
  const approval = site.record.approvalId ? round.book.get(site.record.approvalId) : undefined;
  const proof = approval && round.book.rememberedBy(approval.approvalId);
  if (approval?.status !== 'approved' || !proof || !mayHaveGrants(tool)) return undefined;
  if (!isPatched(GRANTS_PATCH)) return undefined;
  return storeGrant(site, approval, tool, proof);
}

async function storeGrant(
  site: CallSite,
  approval: Extract<ApprovalRecord, { status: 'approved' }>,
  tool: ToolDescriptor & { fingerprint: string },
  proof: DecisionRequest,
): Promise<void> {
  const { round } = site;
  const { decision } = approval;
  try {
    const grant = await createGrant.executeWithOptions(
      { ...createOptions, summary: `remember ${approval.approvalId}` },
      [
        {
          proof,
          requester: round.requester,
          server: tool.server,
          tool: tool.name,
          remember: decision.remember!,
          argsDigest: approval.argsDigest,
          createdBy: decision.approver,
          fromApproval: approval.approvalId,
          roundId: round.roundId,
          toolFingerprint: tool.fingerprint,
        },
      ],
    );
    round.events.emit({ type: 'grant_created', approvalId: approval.approvalId, grant });
  } catch (error) {
    if (isCancellation(error)) throw error;
    const cause = error instanceof ActivityFailure ? error.cause : error;
    const reason = cause instanceof ApplicationFailure ? cause.message : 'the grant could not be stored';
    log.warn('grant not created', { approvalId: approval.approvalId, reason });
    round.events.emit({ type: 'grant_failed', approvalId: approval.approvalId, reason });
  }
}
