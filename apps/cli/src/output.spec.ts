import { describe, expect, it } from 'vitest';

import { formatDuration, formatInstant, formatTable, serialize, truncate } from './output';

describe('formatTable', () => {
  it('aligns columns under upper-case headers', () => {
    expect(
      formatTable(
        ['name', 'status'],
        [
          ['web-1', 'online'],
          ['database-2', 'offline'],
        ],
      ),
    ).toBe('NAME        STATUS\nweb-1       online\ndatabase-2  offline\n');
  });
});

describe('formatDuration', () => {
  it.each([
    [null, '-'],
    [850, '850ms'],
    [12_345, '12.3s'],
    [245_000, '4m05s'],
    [7_380_000, '2h03m'],
  ])('formats %j as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatInstant', () => {
  it('shows UTC to the second', () => {
    expect(formatInstant('2026-03-29T01:00:00.000Z')).toBe('2026-03-29 01:00:00Z');
    expect(formatInstant(null)).toBe('-');
  });
});

describe('truncate', () => {
  it('keeps one line and marks the cut', () => {
    expect(truncate('a\n  b', 10)).toBe('a b');
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
  });
});

describe('serialize', () => {
  it('ends JSON and YAML with a newline', () => {
    expect(serialize({ a: 1 }, 'json')).toBe('{\n  "a": 1\n}\n');
    expect(serialize({ a: '*/5 * * * *' }, 'yaml')).toBe('a: "*/5 * * * *"\n');
  });
});
