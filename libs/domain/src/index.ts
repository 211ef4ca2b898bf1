export * from './model';
export * from './cron';
export * from './secrets';
export * from './protocol';
