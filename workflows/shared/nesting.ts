// How deep arguments nest: measured before anything walks them recursively (the round, the API).
/**
 * Arguments nested deeper than this are refused: rule evaluation, redaction and the approver's view walk them
 * recursively, and a model-made `[[[…]]]` deeper than the stack would fail every workflow task of the round.
 */
export const MAX_ARGUMENT_DEPTH = 64;

/** Whether a parsed JSON value nests deeper than `limit` (iterative, so any depth is measured safely). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}
