import { parseCron, type CronSchedule, type PipelineSnapshot } from '@ects/domain';

import type { Clock } from '../clock';
import { describeError, stackOf } from '../errors';
import { logDebug, type RunnerLogger } from '../logger';
import type { RunnerMetrics } from '../metrics/runner-metrics';
import type { FireRecords } from '../state/fire-records';
import { FireHeap, type HeapItem } from './fire-heap';
import { latestFireBetween } from './missed-fires';

/** Maximum delay of one timer. Waking at least once a minute also follows wall-clock adjustments. */
const MAX_TIMER_MS = 60_000;
/**
 * A fire whose timer runs later than this, for example after the host was suspended, counts as
 * missed and goes through the misfire policy instead of running late.
 */
export const DEFAULT_LATE_FIRE_TOLERANCE_MS = 5_000;

/** `scheduled` fires run at their nominal time; `misfire` fires are the one run of a `run_once` policy. */
export type FireKind = 'scheduled' | 'misfire';

export type FireListener = (snapshot: PipelineSnapshot, fireTime: number, kind: FireKind) => void;

export interface SchedulerOptions {
  nodeId: string;
  clock: Clock;
  logger: RunnerLogger;
  metrics: RunnerMetrics;
  fireRecords: FireRecords;
  onFire: FireListener;
  lateFireToleranceMs?: number;
}

interface ScheduledPipeline extends HeapItem {
  snapshot: PipelineSnapshot;
  schedule: CronSchedule;
}

/**
 * Fires each enabled pipeline assigned to this node at its cron times, in the pipeline's time zone.
 * One timer is armed for the earliest fire of all pipelines, kept in a heap.
 */
export class Scheduler {
  private readonly pipelines = new Map<string, ScheduledPipeline>();
  private readonly heap = new FireHeap<ScheduledPipeline>();
  private readonly lateFireToleranceMs: number;
  private timer: NodeJS.Timeout | undefined;
  private armedFor: number | undefined;
  private running = false;

  constructor(private readonly options: SchedulerOptions) {
    this.lateFireToleranceMs = options.lateFireToleranceMs ?? DEFAULT_LATE_FIRE_TOLERANCE_MS;
  }

  get size(): number {
    return this.pipelines.size;
  }

  isScheduled(pipelineId: string): boolean {
    return this.pipelines.has(pipelineId);
  }

  /** Next fire time of a pipeline in epoch milliseconds, or undefined when it is not scheduled. */
  nextFireTime(pipelineId: string): number | undefined {
    return this.pipelines.get(pipelineId)?.nextFire;
  }

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.disarm();
  }

  /**
   * Schedules a pipeline, or reschedules it at once when its cron or time zone changed. A pipeline
   * new to the scheduler whose fire record is older than its latest due fire has missed fires: its
   * misfire policy decides, before this returns, whether one of them runs now.
   */
  upsert(snapshot: PipelineSnapshot): void {
    if (!this.running) {
      return;
    }

    if (!snapshot.enabled || !snapshot.nodeIds.includes(this.options.nodeId)) {
      this.remove(snapshot.id);
      return;
    }

    let schedule: CronSchedule;
    try {
      schedule = parseCron(snapshot.cron, snapshot.timezone);
    } catch (error: unknown) {
      this.options.logger.warn(
        `Pipeline ${snapshot.id} (${snapshot.name}) is not scheduled: cron "${snapshot.cron}" in ` +
          `${snapshot.timezone} is invalid: ${describeError(error)}`,
      );
      this.remove(snapshot.id);
      return;
    }

    const now = this.options.clock.now();
    const existing = this.pipelines.get(snapshot.id);

    if (existing !== undefined) {
      const rescheduled =
        existing.schedule.expression !== schedule.expression || existing.schedule.timezone !== schedule.timezone;
      existing.snapshot = snapshot;
      if (rescheduled) {
        existing.schedule = schedule;
        this.moveTo(existing, schedule.next(new Date(now)));
        logDebug(
          this.options.logger,
          `Pipeline ${snapshot.id} rescheduled to cron "${snapshot.cron}" in ${snapshot.timezone}`,
        );
      }
      this.arm();
      return;
    }

    const entry: ScheduledPipeline = { snapshot, schedule, nextFire: 0, heapIndex: -1 };
    this.checkMissedFires(entry, now);

    const next = schedule.next(new Date(now));
    if (next === null) {
      this.options.logger.warn(`Pipeline ${snapshot.id} (${snapshot.name}) has no fire time within 5 years`);
      return;
    }

    entry.nextFire = next.getTime();
    this.pipelines.set(snapshot.id, entry);
    this.heap.push(entry);
    this.arm();
  }

  remove(pipelineId: string): void {
    const entry = this.pipelines.get(pipelineId);
    if (entry === undefined) {
      return;
    }

    this.pipelines.delete(pipelineId);
    this.heap.remove(entry);
    this.arm();
  }

  private checkMissedFires(entry: ScheduledPipeline, now: number): void {
    const { fireRecords } = this.options;
    const recorded = fireRecords.get(entry.snapshot.id);

    if (recorded === undefined) {
      // Fires before the first time this agent scheduled the pipeline were never its to run.
      fireRecords.set(entry.snapshot.id, now);
      return;
    }

    const latest = latestFireBetween(entry.schedule, recorded, now);
    if (latest !== undefined) {
      this.misfire(entry, latest);
    }
  }

  /** Applies the misfire policy to missed fires whose latest nominal time is `latest`. */
  private misfire(entry: ScheduledPipeline, latest: number): void {
    const { snapshot } = entry;
    this.options.fireRecords.set(snapshot.id, latest);
    this.options.metrics.misfire(snapshot.misfire);

    if (snapshot.misfire === 'run_once') {
      this.options.logger.log(
        `Pipeline ${snapshot.id} (${snapshot.name}) missed fires up to ${new Date(latest).toISOString()}; ` +
          'running it once now (misfire policy run_once)',
      );
      this.emit(entry, latest, 'misfire');
    } else {
      this.options.logger.log(
        `Pipeline ${snapshot.id} (${snapshot.name}) missed fires up to ${new Date(latest).toISOString()}; ` +
          'skipping them (misfire policy skip)',
      );
    }
  }

  private onTimer(): void {
    this.timer = undefined;
    this.armedFor = undefined;
    const now = this.options.clock.now();

    for (let top = this.heap.peek(); top !== undefined && top.nextFire <= now; top = this.heap.peek()) {
      const fireTime = top.nextFire;
      let next: Date | null;

      if (now - fireTime > this.lateFireToleranceMs) {
        this.misfire(top, latestFireBetween(top.schedule, fireTime - 1, now) ?? fireTime);
        next = top.schedule.next(new Date(now));
      } else {
        this.options.fireRecords.set(top.snapshot.id, fireTime);
        this.emit(top, fireTime, 'scheduled');
        next = top.schedule.next(new Date(fireTime));
      }

      if (next === null) {
        this.options.logger.warn(`Pipeline ${top.snapshot.id} has no fire time within 5 years; unscheduled`);
        this.remove(top.snapshot.id);
      } else {
        this.moveTo(top, next);
      }
    }

    this.arm();
  }

  private emit(entry: ScheduledPipeline, fireTime: number, kind: FireKind): void {
    try {
      this.options.onFire(entry.snapshot, fireTime, kind);
    } catch (error: unknown) {
      this.options.logger.error(
        `Firing pipeline ${entry.snapshot.id} at ${new Date(fireTime).toISOString()} failed: ${describeError(error)}`,
        stackOf(error),
      );
    }
  }

  private moveTo(entry: ScheduledPipeline, next: Date | null): void {
    if (next === null) {
      this.remove(entry.snapshot.id);
      return;
    }

    entry.nextFire = next.getTime();
    this.heap.update(entry);
  }

  /** Arms the timer for the earliest fire, unless it is already armed for that time. */
  private arm(): void {
    if (!this.running) {
      return;
    }

    const top = this.heap.peek();
    if (top === undefined) {
      this.disarm();
      return;
    }

    if (this.timer !== undefined && this.armedFor === top.nextFire) {
      return;
    }

    this.disarm();
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, top.nextFire - this.options.clock.now()));
    this.armedFor = top.nextFire;
    this.timer = setTimeout(() => this.onTimer(), delay);
  }

  private disarm(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.timer = undefined;
    this.armedFor = undefined;
  }
}
