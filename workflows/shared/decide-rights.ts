// Who may decide an approval: the API, Slack and the workflow's own validator ask the same question.

export function mayDecide(
  approval: { approvers: string[]; requester: string; allowSelfApproval: boolean },
  principalId: string,
): { allowed: true } | { allowed: false; why: string } {
  if (principalId === approval.requester && !approval.allowSelfApproval) {
    return { allowed: false, why: `${principalId} requested this call and may not approve it` };
  }
  if (approval.approvers.includes('*') || approval.approvers.includes(principalId)) return { allowed: true };
  return { allowed: false, why: `${principalId} is not an approver for this tool` };
}
