import { BadRequestException } from '@nestjs/common';
import { CronError, describeCron, formatInZone, parseCron, type CronSchedule } from '@ects/domain';

import type { FireTimeDto, ScheduleDto } from './dto/pipeline.dto';

const cache = new Map<string, CronSchedule>();
const CACHE_LIMIT = 5_000;

/**
 * Parses and caches a schedule. An invalid expression or zone becomes a 400 naming `cron` or
 * `timezone` and what to change.
 */
export function compileSchedule(cron: string, timezone: string): CronSchedule {
  const key = `${timezone}\u0000${cron}`;
  const cached = cache.get(key);
  if (cached) {
    return cached;
  }

  try {
    const schedule = parseCron(cron, timezone);
    if (cache.size >= CACHE_LIMIT) {
      cache.clear();
    }
    cache.set(key, schedule);

    return schedule;
  } catch (error: unknown) {
    if (error instanceof CronError) {
      const field = error.field === 'timezone' ? 'timezone' : 'cron';

      throw new BadRequestException({
        message: `Invalid ${field}: ${error.message}`,
        errors: [{ field, message: error.message }],
      });
    }
    throw error;
  }
}

export function nextFireAt(cron: string, timezone: string, after = new Date()): string | null {
  return compileSchedule(cron, timezone).next(after)?.toISOString() ?? null;
}

export function describeSchedule(cron: string, timezone: string, count: number, after = new Date()): ScheduleDto {
  const schedule = compileSchedule(cron, timezone);
  const fires: FireTimeDto[] = [];
  let previousOffset: string | null = null;

  for (const fire of schedule.nextTimes(after, count)) {
    const local = formatInZone(fire, timezone);
    const offset = local.slice(19);
    fires.push({ at: fire.toISOString(), local, offsetChanged: previousOffset !== null && previousOffset !== offset });
    previousOffset = offset;
  }

  return { cron, timezone, description: describeCron(cron), fires };
}
