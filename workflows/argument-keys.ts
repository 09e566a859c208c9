// Keys a policy was not written against. Argument rules and the operator's reading of a tool assume the keys its
// input schema declares; a server may still read others into its fields (Go folds `nameſpace` into `Namespace`,
// other servers take extra keys as options), so such a call needs a human whatever the mode says.

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A key outside ASCII at any depth. Iterative: arguments nested deeper than the stack must not crash the round. */
export function hasNonAsciiKey(args: unknown): boolean {
  const pending: unknown[] = [args];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (isObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (/[\u0080-\uffff]/.test(key)) return true;
        pending.push(item);
      }
    }
  }
  return false;
}

/** A top-level key the schema's `properties` do not declare (a schema without `properties` declares none). */
export function hasUndeclaredKey(args: Record<string, unknown>, inputSchema: Record<string, unknown>): boolean {
  const properties = isObject(inputSchema.properties) ? inputSchema.properties : {};
  return Object.keys(args).some((key) => !Object.hasOwn(properties, key));
}

export function keysRequireApproval(args: Record<string, unknown>, inputSchema: Record<string, unknown>): boolean {
  return hasUndeclaredKey(args, inputSchema) || hasNonAsciiKey(args);
}
