import { describeError } from '../errors';
import type { RunnerLogger } from '../logger';

/**
 * Runs a save function at most once per interval after changes: markDirty() schedules it, flush()
 * runs it now. A failed save is logged and retried at the next interval, so a full disk does not
 * stop the scheduler.
 */
export class DebouncedWriter {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly label: string,
    private readonly intervalMs: number,
    private readonly save: () => void,
    private readonly logger: RunnerLogger,
  ) {}

  markDirty(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.intervalMs);
  }

  /** Saves now if anything changed since the last save; returns whether the state is saved. */
  flush(): boolean {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }

    if (!this.dirty) {
      return true;
    }

    try {
      this.save();
      this.dirty = false;

      return true;
    } catch (error: unknown) {
      this.logger.warn(`Saving ${this.label} failed, retrying in ${this.intervalMs} ms: ${describeError(error)}`);
      this.markDirty();

      return false;
    }
  }

  /** Stops the timer without saving. */
  cancel(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
