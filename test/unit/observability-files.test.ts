// The shipped dashboard and alert rules query metrics that exist: every toolgate_* name they use is defined by
// the worker's or the API's code (Prometheus adds _total, _bucket, _sum and _count).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const sources = ['workflows/round-metrics.ts', 'activities/call-llm.ts', 'api/metrics.ts', 'workflows/history-watch.ts']
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');

function metricNames(text: string): string[] {
  return [...new Set([...text.matchAll(/\btoolgate_\w+/g)].map((match) => match[0]))].map((name) =>
    name.replace(/_(total|bucket|sum|count)$/, ''),
  );
}

describe('observability files', () => {
  it('the Grafana dashboard queries only defined metrics', () => {
    const dashboard = JSON.parse(readFileSync('observability/grafana-dashboard.json', 'utf8')) as {
      panels: Array<{ targets: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)).join('\n');
    expect(metricNames(exprs).length).toBeGreaterThan(8);
    for (const name of metricNames(exprs)) expect(sources, name).toContain(`'${name}'`);
  });

  it('the alert rules parse and query only defined metrics', () => {
    const rules = parse(readFileSync('observability/alerts.yaml', 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const all = rules.groups.flatMap((group) => group.rules);
    expect(all.map((rule) => rule.alert)).toContain('ToolgateApprovalAboutToExpire');
    for (const name of metricNames(all.map((rule) => rule.expr).join('\n')))
      expect(sources, name).toContain(`'${name}'`);
  });
});
