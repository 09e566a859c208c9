// Argument rules ("approval whenever `namespace` matches `prod-*`") fail closed: keys match whatever their
// case (many servers decode JSON case-insensitively), arrays are searched element by element, and a value a
// rule cannot evaluate counts as a match, so an odd shape of arguments never slips past the gate.
import type { ArgumentRule } from './contract.ts';

/** More values than this at one path is treated as unevaluable rather than searched. */
const MAX_VALUES = 1000;

export type RuleVerdict = 'match' | 'no_match' | 'unevaluable';

/**
 * A key as a lenient server may read it. Go's JSON decoder matches keys with Unicode case folding (`ſ` is `s`,
 * the Kelvin sign is `k`), so a comparison by toLowerCase alone lets `nameſpace` past a `namespace` rule. JS has
 * no full case fold: NFKC folds compatibility forms (Kelvin, fullwidth, ligatures), and lower→upper→lower
 * applies the one-to-many mappings (`ß`, `ẞ` → `ss`) whichever case the key came in; NFKC again recomposes.
 */
export function foldKey(key: string): string {
  return key.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
}

/** Rounds started before CLOSED_POLICY_PATCH (`closed` false) compared keys by toLowerCase (replay). */
function keyMatcher(closed: boolean): (key: string) => string {
  return closed ? foldKey : (key) => key.toLowerCase();
}

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

interface Found {
  values: unknown[];
  /** Some branch of the path ends without a value (a missing key, null, an empty array). */
  absent: boolean;
}

/** The values at `path`, arrays fanned out at every level; false (unevaluable) when the path runs through a scalar. */
function valuesAt(value: unknown, path: string[], fold: (key: string) => string, found: Found): boolean {
  if (Array.isArray(value)) {
    if (value.length === 0) found.absent = true;
    return value.every((item) => valuesAt(item, path, fold, found));
  }
  if (path.length === 0) {
    if (value === undefined || value === null) found.absent = true;
    found.values.push(value);
    return found.values.length <= MAX_VALUES;
  }
  if (value === undefined || value === null) {
    found.absent = true;
    return true;
  }
  if (!isPlainObject(value)) return false;
  const [head, ...rest] = path;
  const wanted = fold(head!);
  const keys = Object.keys(value).filter((key) => fold(key) === wanted);
  if (keys.length === 0) found.absent = true;
  return keys.every((key) => valuesAt(value[key], rest, fold, found));
}

export function evaluateRule(rule: ArgumentRule, args: Record<string, unknown>, closed = true): RuleVerdict {
  const found: Found = { values: [], absent: false };
  if (!valuesAt(args, rule.argument.split('.'), keyMatcher(closed), found)) return 'unevaluable';
  // The server may fill in a missing argument itself, with a default the rule exists to catch.
  if (closed && rule.whenAbsent === 'approve' && found.absent) return 'match';
  const pattern = globToRegExp(rule.matches, rule.ignoreCase === true);
  let verdict: RuleVerdict = 'no_match';
  for (const value of found.values) {
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
export function rulesRequireApproval(rules: ArgumentRule[], args: Record<string, unknown>, closed = true): boolean {
  return rules.some((rule) => evaluateRule(rule, args, closed) !== 'no_match');
}

/**
 * A grant's pattern entry holds only when the path has a value and every value there (arrays fanned out) is a
 * scalar matching the glob: where a rule asks for approval on any match, a grant waives it only on all of them.
 */
export function everyValueMatches(path: string, glob: string, args: Record<string, unknown>): boolean {
  const found: Found = { values: [], absent: false };
  if (!valuesAt(args, path.split('.'), foldKey, found) || found.absent || found.values.length === 0) return false;
  const pattern = globToRegExp(glob, false);
  return found.values.every(
    (value) =>
      (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') &&
      pattern.test(String(value)),
  );
}
