// Who may see and touch a round. A round belongs to its requester; auditors read every round whole, admins
// also cancel. A principal who may decide one of its approvals reads only those approvals (with the round's
// query): its other calls may carry the requester's own credential's view. Everyone else is told the round
// does not exist.
import { mayDecide } from '../workflows/shared/decide-rights.ts';
import type { ApprovalSummary } from '../workflows/contract.ts';
import type { ApiRoles } from '../runtime/config.ts';

/** How much of a round a reader sees: all of it, or the approvals they may decide. */
export type ReadScope = 'round' | 'approvals';

export interface RoundOwnership {
  requester: string | undefined;
  /** Everyone who may decide one of its approvals; `*` means any authenticated principal. */
  approvers: string[];
}

export class AccessPolicy {
  private readonly roles: ApiRoles;

  constructor(roles: ApiRoles) {
    this.roles = roles;
  }

  private has(principal: string, ...roles: Array<keyof ApiRoles>): boolean {
    return roles.some((role) => this.roles[role].includes(principal));
  }

  /** Something of the round: all of it, or the approvals they may decide. */
  mayRead(principal: string, round: RoundOwnership): boolean {
    return this.readScope(principal, round) !== undefined;
  }

  /** The whole round: its outputs, answer, events and sealed payloads. */
  readsWhole(principal: string, round: RoundOwnership): boolean {
    return round.requester === principal || this.has(principal, 'admin', 'auditor');
  }

  /** undefined: the round does not exist for this principal. */
  readScope(principal: string, round: RoundOwnership): ReadScope | undefined {
    if (this.readsWhole(principal, round)) return 'round';
    if (round.approvers.includes(principal) || round.approvers.includes('*')) return 'approvals';
    return undefined;
  }

  /** An approval of a round read in `scope`: every one of a whole round, else only one the reader may decide. */
  seesApproval(principal: string, scope: ReadScope, approval: Parameters<typeof mayDecide>[0]): boolean {
    return scope === 'round' || mayDecide(approval, principal).allowed;
  }

  /** Continuing a round's conversation hands over its whole transcript. */
  mayContinue(principal: string, round: RoundOwnership): boolean {
    return round.requester === principal || this.has(principal, 'admin');
  }

  /** A gateway call's response stream, resumed with Last-Event-ID: its requester's alone, like the call itself. */
  followsCall(principal: string, round: RoundOwnership): boolean {
    return round.requester === principal;
  }

  mayCancel(principal: string, round: RoundOwnership): boolean {
    return round.requester === principal || this.has(principal, 'admin');
  }

  /** Auditors and admins see every approval; everyone else what they requested or may decide. */
  seesAllApprovals(principal: string): boolean {
    return this.has(principal, 'admin', 'auditor');
  }

  mayListApproval(principal: string, approval: ApprovalSummary): boolean {
    return (
      this.seesAllApprovals(principal) || approval.requester === principal || mayDecide(approval, principal).allowed
    );
  }

  /** A principal reads its own quota; auditors and admins anyone's. */
  mayReadQuota(principal: string, of: string): boolean {
    return principal === of || this.has(principal, 'admin', 'auditor');
  }

  /** A requester lists their own grants; auditors and admins anyone's. */
  mayListGrants(principal: string, of: string): boolean {
    return principal === of || this.has(principal, 'admin', 'auditor');
  }

  /** The requester it approves for, the approver whose decision it remembers, or an admin. */
  mayRevokeGrant(principal: string, grant: { requester: string; createdBy: { id: string } }): boolean {
    return grant.requester === principal || grant.createdBy.id === principal || this.has(principal, 'admin');
  }

  mayScrapeMetrics(principal: string): boolean {
    return this.has(principal, 'admin', 'auditor', 'metrics');
  }
}
