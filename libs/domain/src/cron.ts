export { CronError, type CronErrorField, type CronFieldName } from './cron/errors';
export { parseCron, type CronSchedule } from './cron/schedule';
export { formatInZone, isValidTimezone } from './cron/timezone';
export { describeCron } from './cron/describe';
