import { CronError, describeCron, formatInZone, parseCron } from '@ects/domain';

export interface PreviewFire {
  /** The fire instant. */
  at: Date;
  /** Wall-clock time in the pipeline's zone with its UTC offset, e.g. 2026-03-29T03:00:00+02:00. */
  local: string;
  /** UTC offset in effect at the fire, e.g. +02:00. */
  offset: string;
  /** The offset before this fire, when it differs from `offset` (a DST change happened since). */
  offsetBefore: string | null;
}

export type CronPreviewResult =
  { ok: true; description: string; fires: PreviewFire[] } | { ok: false; field: CronError['field']; message: string };

const OFFSET = /([+-]\d{2}:\d{2}(?::\d{2})?)$/;

function offsetOf(local: string): string {
  return OFFSET.exec(local)?.[1] ?? '';
}

/**
 * Computes the next `count` fire times after `from` in the pipeline's zone, the way the agent will
 * (both use parseCron from libs/domain). A fire whose UTC offset differs from the one before it, or
 * from the offset at `from` for the first fire, is marked as a DST change.
 */
export function previewCron(cron: string, timezone: string, from: Date, count: number): CronPreviewResult {
  try {
    const schedule = parseCron(cron, timezone);
    const description = describeCron(cron);
    let previousOffset = offsetOf(formatInZone(from, timezone));
    const fires = schedule.nextTimes(from, count).map((at) => {
      const local = formatInZone(at, timezone);
      const offset = offsetOf(local);
      const fire: PreviewFire = { at, local, offset, offsetBefore: offset === previousOffset ? null : previousOffset };
      previousOffset = offset;

      return fire;
    });

    return { ok: true, description, fires };
  } catch (error: unknown) {
    if (error instanceof CronError) {
      return { ok: false, field: error.field, message: error.message };
    }
    throw error;
  }
}
