import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactArguments, unknownKeys } from '../../workflows/shared/redaction.ts';
import { argumentsText, escapeInvisible } from '../../workflows/shared/visible-text.ts';
import { reviewReasons } from '../../workflows/shared/approval-summary.ts';
import type { ApprovalSummary } from '../../workflows/contract.ts';

const schema = {
  type: 'object',
  properties: {
    path: { type: 'string' },
    password: { type: 'string', format: 'password' },
    env: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string', writeOnly: true } } },
    },
    spec: { type: 'object', properties: { automountServiceAccountToken: { type: 'boolean' } } },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

describe('argument views', () => {
  it('redacts what the schema marks secret and configured paths, by exact key, with length and hash', () => {
    const args = {
      path: '/etc/app.conf',
      password: 'hunter2',
      env: [
        { name: 'A', value: 's3cret' },
        { name: 'B', value: 'other' },
      ],
      spec: { automountServiceAccountToken: true, secretKeyRef: 'kept', imagePullSecrets: ['kept'], max_tokens: 9 },
      Password: 'shown: not the schema key',
    };
    const { view, redacted } = redactArguments(args, schema, ['spec.secretKeyRef']);
    const hash = createHash('sha256').update('"hunter2"').digest('hex').slice(0, 12);
    expect(view.password).toBe(`[redacted: 9 chars, sha256 ${hash}…]`);
    expect(view.env).toEqual([
      { name: 'A', value: expect.stringMatching(/^\[redacted: 8 chars, sha256 [0-9a-f]{12}…\]$/) },
      { name: 'B', value: expect.stringMatching(/^\[redacted: 7 chars/) },
    ]);
    expect(view.spec).toEqual({
      automountServiceAccountToken: true,
      secretKeyRef: expect.stringMatching(/^\[redacted: 6 chars/),
      imagePullSecrets: ['kept'],
      max_tokens: 9,
    });
    expect(view.Password).toBe('shown: not the schema key');
    expect(redacted).toEqual(['env[0].value', 'env[1].value', 'password', 'spec.secretKeyRef']);
    expect(JSON.stringify(view)).not.toMatch(/hunter2|s3cret/);
    expect(args.password).toBe('hunter2');
  });

  it('flags keys the schema does not declare, at every depth it describes, but not the keys of a map', () => {
    const args = {
      AAA_note: 'x',
      path: 'p',
      spec: { extra: 1 },
      env: [{ name: 'n', valu: 'typo' }],
      labels: { a: 'b' },
    };
    expect(unknownKeys(args, schema)).toEqual(['AAA_note', 'spec.extra', 'env[0].valu']);
    expect(unknownKeys(args, { type: 'object' })).toEqual([]);
  });

  it('escapes control, bidi and zero-width characters so that the JSON still reads back the same', () => {
    const args = { name: 'report\u202Etxt.exe', note: 'a\u200Bb\u2066c\u0007d\u0085e\uFEFF', line: 'x\ny' };
    const { text, escaped } = argumentsText(args);
    expect(escaped).toBe(true);
    expect(text).toContain('"name": "report\\u202etxt.exe"');
    expect(text).toContain('"note": "a\\u200bb\\u2066c\\u0007d\\u0085e\\ufeff"');
    for (const hidden of ['\u200b', '\u202e', '\u2066', '\u0085', '\ufeff', '\u0007'])
      expect(text).not.toContain(hidden);
    expect(JSON.parse(text)).toEqual(args);
    expect(argumentsText({ plain: 'é ✓' }).escaped).toBe(false);
    expect(escapeInvisible('a\u061Cb\u200Fc\tline\n')).toBe('a\\u061cb\\u200fc\\u0009line\n');
  });

  it('refuses one click when the channel shows less than every argument as it runs', () => {
    const summary = { argsChars: 400, redacted: [], unknownKeys: [], escaped: false } as unknown as ApprovalSummary;
    expect(reviewReasons(summary, 500)).toEqual([]);
    expect(reviewReasons(summary, 300)).toEqual(['the arguments are 400 characters, more than shown']);
    expect(
      reviewReasons({ ...summary, redacted: ['password'], escaped: true, unknownKeys: ['AAA'] }, 500),
    ).toHaveLength(3);
    expect(reviewReasons({ ...summary, argsChars: undefined }, 500)).toHaveLength(1);
  });
});
