import type { CronSchedule } from '@ects/domain';

const FIRST_WINDOW_MS = 60_000;

/**
 * Returns the latest fire time t with `after` < t <= `atOrBefore`, or undefined when there is none.
 * It searches backwards from `atOrBefore` in windows that grow fourfold, so a long downtime of an
 * every-second pipeline costs a few hundred cron steps, not one per missed second.
 */
export function latestFireBetween(schedule: CronSchedule, after: number, atOrBefore: number): number | undefined {
  const first = schedule.next(new Date(after));
  if (first === null || first.getTime() > atOrBefore) {
    return undefined;
  }

  for (let window = FIRST_WINDOW_MS; ; window *= 4) {
    const start = Math.max(after, atOrBefore - window);
    let latest = schedule.next(new Date(start));

    if (latest !== null && latest.getTime() <= atOrBefore) {
      for (
        let next = schedule.next(latest);
        next !== null && next.getTime() <= atOrBefore;
        next = schedule.next(next)
      ) {
        latest = next;
      }

      return latest.getTime();
    }

    if (start === after) {
      return first.getTime();
    }
  }
}
