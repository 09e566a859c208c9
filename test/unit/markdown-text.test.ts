// What Temporal Web UI renders as Markdown (a round's summary and details) shows text from requests as text.
import { describe, expect, it } from 'vitest';
import { markdownName, markdownText } from '../../workflows/shared/markdown-text.ts';

describe('markdown text', () => {
  it('escapes every Markdown construct of a query and keeps it on one line', () => {
    expect(markdownText('see [this](https://evil.test) ![x](y) <img src=x> **now**')).toBe(
      'see \\[this\\]\\(https\\:\\/\\/evil\\.test\\) \\!\\[x\\]\\(y\\) \\<img src\\=x\\> \\*\\*now\\*\\*',
    );
    expect(markdownText('# title\n- item\r\n1. first')).toBe('\\# title \\- item 1\\. first');
    expect(markdownText('plain words 42')).toBe('plain words 42');
    expect(markdownText('a\u202eb')).toBe('a\\\\u202eb');
  });

  it('clips to a length without cutting an escape or a surrogate pair', () => {
    expect(markdownText('abc', 3)).toBe('abc');
    expect(markdownText('ab[cd', 4)).toBe('ab…');
    expect(markdownText('a😀bc', 4)).toBe('a😀…');
    expect(markdownText('ab😀c', 4)).toBe('ab…');
    expect(markdownText('x'.repeat(300), 200)).toHaveLength(200);
  });

  it('shows names in letters, digits, _ . and - only, _ escaped', () => {
    expect(markdownName('carol.smith-2')).toBe('carol.smith-2');
    expect(markdownName('[ev](il) <b>')).toBe('\\_ev\\_\\_il\\_\\_\\_b\\_');
    expect(markdownName('_em_')).toBe('\\_em\\_');
  });
});
