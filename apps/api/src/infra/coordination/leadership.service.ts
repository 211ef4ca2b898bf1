import { hostname } from 'node:os';

import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { API_ELECTION, describeError, type Campaign, type Coordination } from '@ects/etcd';

import { COORDINATION } from './coordination.token';

export interface LeaderDuty {
  /** Name for the logs. */
  readonly name: string;
  /** Starts the duty; called when this replica becomes the leader. */
  start(): Promise<void>;
  /** Stops the duty at once; called when leadership ends or the API shuts down. */
  stop(): Promise<void>;
}

const RETRY_DELAY_MS = 1_000;

/**
 * Campaigns in the `api` election and runs the registered singleton duties (node watch, reconcile,
 * lost-run sweep) only while this replica leads, so no duty runs twice across replicas.
 */
@Injectable()
export class LeadershipService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LeadershipService.name);
  private readonly duties: LeaderDuty[] = [];
  private readonly candidate = `${hostname()}:${process.pid}`;
  private campaign: Campaign | null = null;
  private leading = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(@Inject(COORDINATION) private readonly coordination: Coordination) {}

  get isLeader(): boolean {
    return this.leading;
  }

  register(duty: LeaderDuty): void {
    this.duties.push(duty);
  }

  onApplicationBootstrap(): void {
    void this.enter();
  }

  /** Steps down before the database and etcd connections close, so duties never use closed ones. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
    }
    await this.stepDown('shutdown');
    await this.campaign
      ?.resign()
      .catch((error: unknown) => this.logger.warn(`Resigning failed: ${describeError(error)}`));
  }

  private async enter(): Promise<void> {
    if (this.stopped) {
      return;
    }

    try {
      const campaign = await this.coordination.campaign(API_ELECTION, this.candidate);
      this.campaign = campaign;
      campaign.onElected(() => void this.lead());
      campaign.onLost((error) => {
        this.logger.warn(`Leadership campaign of ${this.candidate} lost: ${error.message}; campaigning again`);
        void this.stepDown('campaign lost').then(() => this.retry());
      });
    } catch (error: unknown) {
      this.logger.warn(`Campaign for API leadership failed: ${describeError(error)}; retrying in ${RETRY_DELAY_MS} ms`);
      this.retry();
    }
  }

  private retry(): void {
    if (this.stopped) {
      return;
    }
    this.retryTimer = setTimeout(() => void this.enter(), RETRY_DELAY_MS);
  }

  private async lead(): Promise<void> {
    if (this.stopped || this.leading) {
      return;
    }
    this.leading = true;
    this.logger.log(
      `Replica ${this.candidate} is the API leader; starting ${this.duties.map((duty) => duty.name).join(', ')}`,
    );
    for (const duty of this.duties) {
      await duty.start().catch((error: unknown) => {
        this.logger.error(
          `Leader duty ${duty.name} failed to start: ${describeError(error)}`,
          error instanceof Error ? error.stack : undefined,
        );
      });
    }
  }

  private async stepDown(reason: string): Promise<void> {
    if (!this.leading) {
      return;
    }
    this.leading = false;
    this.logger.log(`Replica ${this.candidate} stops leading (${reason})`);
    for (const duty of this.duties) {
      await duty
        .stop()
        .catch((error: unknown) =>
          this.logger.warn(`Leader duty ${duty.name} failed to stop: ${describeError(error)}`),
        );
    }
  }
}
