/**
 * Exponential backoff with jitter for retry loops: each delay doubles up to `maxMs`, and a random
 * factor of 0.5 to 1 keeps agents that lost etcd together from retrying in lockstep.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  /** Returns the delay before the next retry and counts the attempt. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;

    return Math.round(base * (0.5 + Math.random() / 2));
  }

  /** Number of failed attempts since the last reset. */
  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
