import { describe, expect, it } from 'vitest';

import { CronError, formatInZone, isValidTimezone, parseCron } from '../cron';
import { zoneOffsets } from './timezone';

const HOUR = 3_600_000;

describe('isValidTimezone', () => {
  it.each(['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Etc/GMT+5'])('accepts %s', (zone) => {
    expect(isValidTimezone(zone)).toBe(true);
  });

  it.each(['', 'Mars/Olympus_Mons', 'Europe/Atlantis', '+02:00', '-05:00', '2', 'Europe/Berlin '])(
    'rejects "%s"',
    (zone) => {
      expect(isValidTimezone(zone)).toBe(false);
    },
  );
});

describe('formatInZone', () => {
  it('shows the jump forward in Berlin', () => {
    expect(formatInZone(new Date('2026-03-29T00:59:59Z'), 'Europe/Berlin')).toBe('2026-03-29T01:59:59+01:00');
    expect(formatInZone(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29T03:00:00+02:00');
  });

  it('shows both copies of the repeated hour', () => {
    expect(formatInZone(new Date('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:00+02:00');
    expect(formatInZone(new Date('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:00+01:00');
  });

  it('writes negative offsets', () => {
    expect(formatInZone(new Date('2026-11-01T05:30:00Z'), 'America/New_York')).toBe('2026-11-01T01:30:00-04:00');
    expect(formatInZone(new Date('2026-11-01T06:30:00Z'), 'America/New_York')).toBe('2026-11-01T01:30:00-05:00');
  });

  it('writes UTC as +00:00', () => {
    expect(formatInZone(new Date('2026-01-01T12:34:56.789Z'), 'UTC')).toBe('2026-01-01T12:34:56+00:00');
  });

  it('writes partial-hour offsets', () => {
    expect(formatInZone(new Date('2026-06-01T00:00:00Z'), 'Asia/Kathmandu')).toBe('2026-06-01T05:45:00+05:45');
    expect(formatInZone(new Date('2026-06-01T00:00:00Z'), 'Asia/Kolkata')).toBe('2026-06-01T05:30:00+05:30');
  });

  it('writes local mean time seconds', () => {
    // Berlin kept local mean time, 53 minutes 28 seconds ahead of Greenwich, until 1893.
    expect(formatInZone(new Date('1890-01-01T00:00:00Z'), 'Europe/Berlin')).toBe('1890-01-01T00:53:28+00:53:28');
  });

  it('writes years beyond 9999 like toISOString', () => {
    expect(formatInZone(new Date('+010000-01-01T00:00:00Z'), 'UTC')).toBe('+010000-01-01T00:00:00+00:00');
  });

  it('rejects an unknown zone', () => {
    expect(() => formatInZone(new Date(), 'Nowhere/Special')).toThrow(CronError);
  });

  it('rejects an invalid Date', () => {
    expect(() => formatInZone(new Date(Number.NaN), 'UTC')).toThrow(RangeError);
  });
});

describe('zoneOffsets', () => {
  it('finds the Berlin transitions to the second', () => {
    const berlin = zoneOffsets('Europe/Berlin');

    expect(berlin.offsetAt(Date.parse('2026-03-29T00:59:59Z'))).toBe(HOUR);
    expect(berlin.offsetAt(Date.parse('2026-03-29T01:00:00Z'))).toBe(2 * HOUR);
    expect(berlin.transitionAtOrBefore(Date.parse('2026-03-29T05:00:00Z'))).toEqual({
      at: Date.parse('2026-03-29T01:00:00Z'),
      offsetBefore: HOUR,
      offsetAfter: 2 * HOUR,
    });
  });

  it('ends a span at the next transition', () => {
    const newYork = zoneOffsets('America/New_York');

    expect(newYork.boundaryAfter(Date.parse('2026-10-30T00:00:00Z'))).toBe(Date.parse('2026-11-01T06:00:00Z'));
  });

  it('finds no transition in a zone without DST', () => {
    expect(zoneOffsets('Asia/Tokyo').transitionAtOrBefore(Date.parse('2026-06-01T00:00:00Z'))).toBeNull();
  });

  it('handles the day Samoa skipped', () => {
    // Apia moved from UTC-10 to UTC+14 after 2011-12-29 local time, so December 30 never happened there.
    const apia = zoneOffsets('Pacific/Apia');

    expect(apia.offsetAt(Date.parse('2011-12-30T09:59:59Z'))).toBe(-10 * HOUR);
    expect(apia.offsetAt(Date.parse('2011-12-30T10:00:00Z'))).toBe(14 * HOUR);
    expect(formatInZone(new Date('2011-12-30T10:00:00Z'), 'Pacific/Apia')).toBe('2011-12-31T00:00:00+14:00');
  });

  it('runs a fixed time on the skipped day after the jump', () => {
    const fire = parseCron('30 12 30 12 *', 'Pacific/Apia').next(new Date('2011-12-29T00:00:00Z'));

    expect(fire?.toISOString()).toBe('2011-12-30T10:00:00.000Z');
    expect(formatInZone(new Date('2011-12-30T10:00:00Z'), 'Pacific/Apia')).toBe('2011-12-31T00:00:00+14:00');
  });
});
