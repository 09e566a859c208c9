// Argument rules ("approval whenever `namespace` matches `prod-*`") fail closed: keys match whatever their
// case (many servers decode JSON case-insensitively), arrays are searched element by element, and a value a
// rule cannot evaluate counts as a match, so an odd shape of arguments never slips past the gate.
import type { ArgumentRule } from './contract.ts';

/** More values than this at one path is treated as unevaluable rather than searched. */
const MAX_VALUES = 1000;

export type RuleVerdict = 'match' | 'no_match' | 'unevaluable';

function globToRegExp(glob: string, ignoreCase: boolean): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The values at `path`, arrays fanned out at every level; `unevaluable` when the path runs through a scalar. */
function valuesAt(value: unknown, path: string[], out: unknown[]): boolean {
  if (Array.isArray(value)) return value.every((item) => valuesAt(item, path, out));
  if (path.length === 0) {
    out.push(value);
    return out.length <= MAX_VALUES;
  }
  if (value === undefined || value === null) return true;
  if (!isPlainObject(value)) return false;
  const [head, ...rest] = path;
  const wanted = head!.toLowerCase();
  return Object.keys(value)
    .filter((key) => key.toLowerCase() === wanted)
    .every((key) => valuesAt(value[key], rest, out));
}

export function evaluateRule(rule: ArgumentRule, args: Record<string, unknown>): RuleVerdict {
  const values: unknown[] = [];
  if (!valuesAt(args, rule.argument.split('.'), values)) return 'unevaluable';
  const pattern = globToRegExp(rule.matches, rule.ignoreCase === true);
  let verdict: RuleVerdict = 'no_match';
  for (const value of values) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      if (pattern.test(String(value))) return 'match';
      continue;
    }
    verdict = 'unevaluable';
  }
  return verdict;
}

/** Approval is required when any rule matches or cannot be evaluated. */
export function rulesRequireApproval(rules: ArgumentRule[], args: Record<string, unknown>): boolean {
  return rules.some((rule) => evaluateRule(rule, args) !== 'no_match');
}
