import { describe, expect, it } from 'vitest';

import { diffJson } from './json-diff';

describe('diffJson', () => {
  it('finds changed, added and removed leaves', () => {
    const rows = diffJson(
      { name: 'a', cron: '0 * * * *', steps: [{ timeoutSeconds: 0 }], old: true },
      { name: 'a', cron: '*/5 * * * *', steps: [{ timeoutSeconds: 30 }, { timeoutSeconds: 0 }] },
    );

    expect(rows).toEqual([
      { path: 'cron', kind: 'changed', before: '"0 * * * *"', after: '"*/5 * * * *"' },
      { path: 'name', kind: 'same', before: '"a"', after: '"a"' },
      { path: 'old', kind: 'removed', before: 'true', after: null },
      { path: 'steps.0.timeoutSeconds', kind: 'changed', before: '0', after: '30' },
      { path: 'steps.1.timeoutSeconds', kind: 'added', before: null, after: '0' },
    ]);
  });

  it('treats a creation as all added', () => {
    expect(diffJson(null, { name: 'x' })).toEqual([{ path: 'name', kind: 'added', before: null, after: '"x"' }]);
  });

  it('treats a deletion as all removed', () => {
    expect(diffJson({ name: 'x' }, null)).toEqual([{ path: 'name', kind: 'removed', before: '"x"', after: null }]);
  });

  it('keeps empty objects as leaves', () => {
    expect(diffJson({ labels: {} }, { labels: { role: 'db' } })).toEqual([
      { path: 'labels', kind: 'removed', before: '{}', after: null },
      { path: 'labels.role', kind: 'added', before: null, after: '"db"' },
    ]);
  });

  it('sorts numeric path parts as numbers', () => {
    const before = { steps: Array.from({ length: 11 }, (_, index) => index) };

    expect(diffJson(before, before).map((row) => row.path)).toEqual(
      Array.from({ length: 11 }, (_, index) => `steps.${index}`),
    );
  });
});
