export * from './coordination';
export * from './errors';
export * from './keys';
export { type CoordinationLogger, RateLimitedWarning, describeError } from './logger';
export { DEFAULT_CAMPAIGN_TTL_SECONDS } from './election';
export { Etcd3Coordination, type Etcd3CoordinationOptions, etcdFaultHandling } from './etcd3';
export { MemoryCoordination, type MemoryCoordinationOptions, MemoryStore } from './memory';
