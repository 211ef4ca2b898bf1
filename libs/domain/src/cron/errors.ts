export type CronFieldName = 'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek';

/** Part of a cron schedule that an error points at: one field, the whole expression, or the time zone. */
export type CronErrorField = CronFieldName | 'expression' | 'timezone';

/** Invalid cron expression or time zone, with the part to fix and a message a user can act on. */
export class CronError extends Error {
  readonly code = 'CRON_INVALID';

  constructor(
    readonly field: CronErrorField,
    message: string,
  ) {
    super(message);
    this.name = 'CronError';
  }
}

/** Field names as people write them in messages and descriptions. */
export const FIELD_LABELS: Readonly<Record<CronFieldName, string>> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day-of-month',
  month: 'month',
  dayOfWeek: 'day-of-week',
};
