// Who may see and touch a round. A round belongs to its requester; principals who may decide one of its
// approvals may read it (enough to decide well); auditors read everything, admins also cancel. Everyone else
// is told the round does not exist.
import { mayDecide } from '../workflows/shared/decide-rights.ts';
import type { ApprovalSummary } from '../workflows/contract.ts';
import type { ApiRoles } from '../runtime/config.ts';

/** What visibility says about a round: enough to authorize without asking a worker. */
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

  mayRead(principal: string, round: RoundOwnership): boolean {
    return (
      round.requester === principal ||
      round.approvers.includes(principal) ||
      round.approvers.includes('*') ||
      this.has(principal, 'admin', 'auditor')
    );
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

  mayScrapeMetrics(principal: string): boolean {
    return this.has(principal, 'admin', 'auditor', 'metrics');
  }
}
