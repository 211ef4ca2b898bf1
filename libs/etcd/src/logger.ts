/**
 * Logger the adapters write to. Nest's `Logger` fits it, so Nest code passes
 * `new Logger(Etcd3Coordination.name)` without this library importing Nest.
 */
export interface CoordinationLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

/** Formats an unknown thrown value for a log line. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Logs a repeating fault at most once per interval, with the number of repeats since the last
 * line. During an etcd outage etcd3 1.1.2 retries keep-alive every 100 ms and reports every
 * failure, so logging each one would drown every other line.
 */
export class RateLimitedWarning {
  private suppressed = 0;
  private lastLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly logger: CoordinationLogger,
    private readonly intervalMs: number,
  ) {}

  /** Logs the message now, or counts it when the last line was written less than an interval ago. */
  warn(message: string): void {
    const now = Date.now();

    if (now - this.lastLoggedAt < this.intervalMs) {
      this.suppressed += 1;
      return;
    }

    const repeats = this.suppressed > 0 ? ` (${this.suppressed} more since the last report)` : '';
    this.logger.warn(`${message}${repeats}`);
    this.suppressed = 0;
    this.lastLoggedAt = now;
  }

  /** Forgets the fault, so its next occurrence is logged at once; returns how many repeats went unlogged. */
  reset(): number {
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.lastLoggedAt = Number.NEGATIVE_INFINITY;

    return suppressed;
  }

  /** Tells whether the fault was reported since the last reset. */
  get active(): boolean {
    return this.lastLoggedAt !== Number.NEGATIVE_INFINITY;
  }
}
