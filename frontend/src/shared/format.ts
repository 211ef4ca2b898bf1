import { translate } from '../i18n';

/** Formats an ISO instant as local date and time in the SPA's language, or an empty string for null. */
export function formatDateTime(iso: string | null | undefined, locale: string): string {
  if (iso === null || iso === undefined || iso === '') {
    return '';
  }

  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso));
}

/** Formats milliseconds as the two largest units that matter, e.g. "850 ms", "12.4 s", "3 min 05 s", "2 h 10 min". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) {
    return '';
  }
  if (ms < 1000) {
    return translate('units.ms', { n: Math.round(ms) });
  }
  if (ms < 60_000) {
    return translate('units.s', { n: (ms / 1000).toFixed(1) });
  }

  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    const minutes = Math.floor(totalSeconds / 60);
    const seconds = String(totalSeconds % 60).padStart(2, '0');

    return translate('units.minSec', { m: minutes, s: seconds });
  }

  const hours = Math.floor(totalSeconds / 3600);
  const minutes = String(Math.floor((totalSeconds % 3600) / 60)).padStart(2, '0');

  return translate('units.hourMin', { h: hours, m: minutes });
}

/** Formats a byte count with a binary unit, e.g. "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }

  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Writes labels as "key=value" pairs, the form the API's label filter takes. */
export function labelPairs(labels: Record<string, string> | null | undefined): string[] {
  return Object.entries(labels ?? {}).map(([key, value]) => `${key}=${value}`);
}
