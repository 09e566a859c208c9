import { describe, expect, it } from 'vitest';
import { displayName, displayTool } from '../../workflows/shared/display-name.ts';

describe('display names for Temporal Web UI Markdown', () => {
  it('keep [A-Za-z0-9_.-] and turn everything else into _', () => {
    expect(displayName('read_file-v2.1')).toBe('read_file-v2.1');
    expect(displayName('[x](https://evil.example)')).toBe('_x__https___evil.example_');
    expect(displayName('**bold** `code` <b>|\n')).toBe('__bold____code___b___');
    expect(displayName('é😀')).toBe('___');
    expect(displayTool('k8s', '![img](x)')).toBe('k8s/__img__x_');
  });
});
