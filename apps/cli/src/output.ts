import { stringify } from 'yaml';

import { CliError } from './errors';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Writes text to standard output; results go here, so scripts can capture them. */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes text to standard error; progress, notes and failures go here. */
export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function parseOutputFormat(value: string): OutputFormat {
  const format = OUTPUT_FORMATS.find((candidate) => candidate === value);
  if (!format) {
    throw new CliError('USAGE', `Unknown output format "${value}"; use one of ${OUTPUT_FORMATS.join(', ')}`);
  }

  return format;
}

/** Serializes data as indented JSON or as YAML, each ending with a newline. */
export function serialize(data: unknown, format: 'json' | 'yaml'): string {
  if (format === 'json') {
    return `${JSON.stringify(data, null, 2)}\n`;
  }

  return stringify(data, { lineWidth: 0 });
}

/** Lays rows out in columns separated by two spaces, under upper-case headers. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();

  return [line(headers.map((header) => header.toUpperCase())), ...rows.map(line)].join('\n') + '\n';
}

/** Formats an ISO instant as `YYYY-MM-DD HH:MM:SSZ` in UTC, or `-` when absent. */
export function formatInstant(iso: string | null | undefined): string {
  if (!iso) {
    return '-';
  }

  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

/** Formats milliseconds as `850ms`, `12.3s`, `4m05s` or `2h03m`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) {
    return '-';
  }
  if (ms < 1_000) {
    return `${ms}ms`;
  }
  if (ms < 60_000) {
    return `${(ms / 1_000).toFixed(1)}s`;
  }

  const seconds = Math.floor(ms / 1_000);
  if (seconds < 3_600) {
    return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  }

  return `${Math.floor(seconds / 3_600)}h${String(Math.floor((seconds % 3_600) / 60)).padStart(2, '0')}m`;
}

/** Cuts text to `max` characters on one line, ending with … when cut. */
export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');

  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
