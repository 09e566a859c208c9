// One redaction for everything that shows tool arguments to people (approval lists, memo summaries, Slack
// cards): values under secret-looking keys are replaced, at any depth.
const SECRET_KEY = /token|secret|password|passwd|api[-_]?key|authorization|credential|cookie|private[-_]?key/i;
export const REDACTED = '[redacted]';

export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) ? REDACTED : redactSecrets(item)]),
    );
  }
  return value;
}
