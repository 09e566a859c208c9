import { describe, expect, it } from 'vitest';
import { truncateOutput } from '../../activities/truncate-output.ts';

describe('truncateOutput', () => {
  it('leaves output within the budget alone', () => {
    expect(truncateOutput('short', 100)).toEqual({ text: 'short', truncated: false, originalLength: 5 });
  });

  it('cuts at a line end, stays within the budget and says how much was kept', () => {
    const text = Array.from({ length: 5000 }, (_, index) => `line ${index}`).join('\n');
    const result = truncateOutput(text, 16_000);
    expect(result.truncated).toBe(true);
    expect(result.text.length).toBeLessThanOrEqual(16_000);
    const [kept, marker] = result.text.split('\n[OUTPUT TRUNCATED');
    expect(text.startsWith(`${kept}\n`)).toBe(true);
    expect(marker).toContain(`showing the first ${kept!.length} of ${text.length} characters`);
  });

  it('cuts mid-line when there is no usable line end', () => {
    const result = truncateOutput('x'.repeat(10_000), 500);
    expect(result.text.length).toBeLessThanOrEqual(500);
    expect(result.text.startsWith('x'.repeat(300))).toBe(true);
  });
});
