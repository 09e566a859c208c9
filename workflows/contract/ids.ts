// Round and approval ids. Approval ids are deterministic, so the API finds the round from an approval id alone.
export const ROUND_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
// Up to 9 digits each: a round of many steps or a reply of many calls (rounds before the per-reply bound) still
// parses, and every value stays a safe integer.
const APPROVAL_ID_PATTERN = /^([A-Za-z0-9_-]{1,128})\.(\d{1,9})\.(\d{1,9})$/;

export function approvalIdFor(roundId: string, step: number, callIndex: number): string {
  return `${roundId}.${step}.${callIndex}`;
}

export function parseApprovalId(approvalId: string): { roundId: string; step: number; callIndex: number } | undefined {
  const match = APPROVAL_ID_PATTERN.exec(approvalId);
  if (!match) return undefined;
  return { roundId: match[1]!, step: Number(match[2]), callIndex: Number(match[3]) };
}
