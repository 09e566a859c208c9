// The arguments a preview is called with: the call's own, or (policy `preview.arguments`) each preview argument
// taken from a dot path into the call's arguments. Pure, so replays pick the same values.

/** The value at `path` (`metadata.name`, `containers.0.image`): object keys as written, array elements by index. */
function valueAt(args: Record<string, unknown>, path: string): unknown {
  let value: unknown = args;
  for (const key of path.split('.')) {
    if (Array.isArray(value) && /^\d+$/.test(key)) value = value[Number(key)];
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, key))
      value = (value as Record<string, unknown>)[key];
    else return undefined;
  }
  return value;
}

/** A path the call does not have leaves that preview argument out: the preview tool says what it lacks. */
export function previewArguments(
  args: Record<string, unknown>,
  mapping: Record<string, string> | undefined,
): Record<string, unknown> {
  if (!mapping) return args;
  const mapped: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(mapping)) {
    const value = valueAt(args, path);
    if (value !== undefined) mapped[name] = value;
  }
  return mapped;
}
