import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, civilFromDays, daysFromCivil } from './calendar';
import { CronError } from './errors';

/** Length of the spans in which a zone's UTC offsets are looked up and cached together. */
const CHUNK_MS = 64 * DAY_MS;

/**
 * Distance between two offset probes.
 * NOTE: A change of offset that is undone within one probe step goes unseen. DST periods last weeks or
 * months, but this was not checked against every zone in the tz database.
 */
const PROBE_STEP_MS = DAY_MS;

/** A change of a zone's UTC offset: `at` is the first instant with `offsetAfter`. Offsets are in milliseconds. */
export interface OffsetTransition {
  at: number;
  offsetBefore: number;
  offsetAfter: number;
}

/** Offsets of one chunk: `startOffset` from `start`, then `offsets[i]` from `transitions[i]`. */
interface OffsetChunk {
  start: number;
  end: number;
  startOffset: number;
  transitions: number[];
  offsets: number[];
}

/**
 * UTC offsets of one IANA zone, probed from Intl once per 64-day chunk and cached, so that converting
 * between UTC and local time afterwards is arithmetic. One Intl formatToParts call took about 3.5 µs on
 * Node 20 (2-core development machine), and a next-fire computation converts several times.
 */
export class ZoneOffsets {
  private readonly chunks = new Map<number, OffsetChunk>();

  constructor(
    readonly timezone: string,
    private readonly formatter: Intl.DateTimeFormat,
  ) {}

  /** Local time minus UTC, in milliseconds, at a UTC instant (epoch milliseconds). */
  offsetAt(instant: number): number {
    const chunk = this.chunkAt(instant);
    let offset = chunk.startOffset;
    for (let i = 0; i < chunk.transitions.length && chunk.transitions[i] <= instant; i++) {
      offset = chunk.offsets[i];
    }

    return offset;
  }

  /**
   * First instant after `instant` at which the offset may change: the next transition, or the end of
   * the cached chunk when the chunk has none left. The offset is constant from `instant` up to it.
   */
  boundaryAfter(instant: number): number {
    const chunk = this.chunkAt(instant);
    for (const at of chunk.transitions) {
      if (at > instant) {
        return at;
      }
    }

    return chunk.end;
  }

  /** Latest transition at or before `instant` within the two chunks before it, or null. */
  transitionAtOrBefore(instant: number): OffsetTransition | null {
    let index = Math.floor(instant / CHUNK_MS);
    for (let looked = 0; looked < 2; looked++, index--) {
      const chunk = this.chunk(index);
      for (let i = chunk.transitions.length - 1; i >= 0; i--) {
        if (chunk.transitions[i] <= instant) {
          const offsetBefore = i > 0 ? chunk.offsets[i - 1] : chunk.startOffset;

          return { at: chunk.transitions[i], offsetBefore, offsetAfter: chunk.offsets[i] };
        }
      }

      const previousOffset = finalOffset(this.chunk(index - 1));
      if (previousOffset !== chunk.startOffset) {
        return { at: chunk.start, offsetBefore: previousOffset, offsetAfter: chunk.startOffset };
      }
    }

    return null;
  }

  private chunkAt(instant: number): OffsetChunk {
    return this.chunk(Math.floor(instant / CHUNK_MS));
  }

  private chunk(index: number): OffsetChunk {
    const cached = this.chunks.get(index);
    if (cached) {
      return cached;
    }

    const start = index * CHUNK_MS;
    const end = start + CHUNK_MS;
    const chunk: OffsetChunk = { start, end, startOffset: this.probe(start), transitions: [], offsets: [] };

    let low = start;
    let lowOffset = chunk.startOffset;
    while (low < end - SECOND_MS) {
      const high = Math.min(low + PROBE_STEP_MS, end - SECOND_MS);
      const highOffset = this.probe(high);
      if (highOffset !== lowOffset) {
        chunk.transitions.push(this.findTransition(low, lowOffset, high));
        chunk.offsets.push(highOffset);
      }
      low = high;
      lowOffset = highOffset;
    }

    this.chunks.set(index, chunk);

    return chunk;
  }

  /** Bisects to the first whole second in (low, high] whose offset differs from `lowOffset`. */
  private findTransition(low: number, lowOffset: number, high: number): number {
    let before = low / SECOND_MS;
    let after = high / SECOND_MS;
    while (after - before > 1) {
      const middle = Math.floor((before + after) / 2);
      if (this.probe(middle * SECOND_MS) === lowOffset) {
        before = middle;
      } else {
        after = middle;
      }
    }

    return after * SECOND_MS;
  }

  /** Reads the offset at a whole-second instant from Intl. */
  private probe(instant: number): number {
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let beforeCommonEra = false;
    for (const part of this.formatter.formatToParts(instant)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value);
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        case 'era':
          beforeCommonEra = part.value === 'BC';
          break;
        default:
          break;
      }
    }
    if (beforeCommonEra) {
      year = 1 - year;
    }

    const local = daysFromCivil(year, month, day) * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS + second * SECOND_MS;

    return local - instant;
  }
}

function finalOffset(chunk: OffsetChunk): number {
  return chunk.offsets.length > 0 ? chunk.offsets[chunk.offsets.length - 1] : chunk.startOffset;
}

/** Offsets of every valid zone looked up so far. Unknown names are not kept, because they come from user input. */
const zones = new Map<string, ZoneOffsets>();

/**
 * Returns the cached offsets of a zone, or null when Intl does not know the zone. Offset notations such
 * as "+02:00" are rejected even where Intl accepts them, because a fixed offset has no daylight saving
 * rules and the schedule should name the place.
 */
function lookUpZone(timezone: string): ZoneOffsets | null {
  const cached = zones.get(timezone);
  if (cached) {
    return cached;
  }
  if (!/^[A-Za-z]/.test(timezone)) {
    return null;
  }

  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (error: unknown) {
    // Intl reports an unknown zone with a RangeError. Anything else is a real fault.
    if (error instanceof RangeError) {
      return null;
    }
    throw error;
  }

  const zone = new ZoneOffsets(timezone, formatter);
  zones.set(timezone, zone);

  return zone;
}

/** Tells whether `timezone` is an IANA zone name that Intl supports, such as "Europe/Berlin" or "UTC". */
export function isValidTimezone(timezone: string): boolean {
  return typeof timezone === 'string' && lookUpZone(timezone) !== null;
}

/** Returns the offsets of a zone. Throws a CronError on the `timezone` field when the zone is unknown. */
export function zoneOffsets(timezone: string): ZoneOffsets {
  const zone = typeof timezone === 'string' ? lookUpZone(timezone) : null;
  if (!zone) {
    throw new CronError(
      'timezone',
      `time zone "${String(timezone)}" is not a known IANA time zone; use a name such as "Europe/Berlin" or "UTC"`,
    );
  }

  return zone;
}

/**
 * Renders an instant as local wall-clock time with its UTC offset, to the second, for example
 * 2026-03-29T03:00:00+02:00. Throws a CronError when the zone is unknown.
 */
export function formatInZone(instant: Date, timezone: string): string {
  const time = instant.getTime();
  if (Number.isNaN(time)) {
    throw new RangeError('formatInZone needs a valid Date, got Invalid Date');
  }

  const utc = Math.floor(time / SECOND_MS) * SECOND_MS;
  const offset = zoneOffsets(timezone).offsetAt(utc);
  const local = utc + offset;
  const days = Math.floor(local / DAY_MS);
  const date = civilFromDays(days);
  const secondOfDay = (local - days * DAY_MS) / SECOND_MS;

  const calendarDate = `${formatYear(date.year)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
  const clock = `${pad(Math.floor(secondOfDay / 3600), 2)}:${pad(Math.floor(secondOfDay / 60) % 60, 2)}:${pad(secondOfDay % 60, 2)}`;

  return `${calendarDate}T${clock}${formatOffset(offset)}`;
}

function formatOffset(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const seconds = Math.abs(offset) / SECOND_MS;
  const hoursAndMinutes = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}`;

  // Local mean time offsets before about 1900 have seconds, such as +00:53:28 in Berlin.
  return seconds % 60 === 0 ? `${sign}${hoursAndMinutes}` : `${sign}${hoursAndMinutes}:${pad(seconds % 60, 2)}`;
}

/** Writes years outside 0-9999 with a sign and six digits, as `Date.prototype.toISOString` does. */
function formatYear(year: number): string {
  if (year >= 0 && year <= 9999) {
    return pad(year, 4);
  }

  return `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
