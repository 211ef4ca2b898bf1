import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { APP_CONFIG, type AppConfig } from '../config/config';

/** Applies pending migrations at start when auto-migration is on, and warns when it is off and some are pending. */
@Injectable()
export class MigrationRunner implements OnModuleInit {
  private readonly logger = new Logger(MigrationRunner.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.autoMigrate) {
      const applied = await this.dataSource.runMigrations({ transaction: 'each' });
      for (const migration of applied) {
        this.logger.log(`Applied migration ${migration.name}`);
      }

      return;
    }

    if (await this.dataSource.showMigrations()) {
      this.logger.warn('Database migrations are pending; run `ects init` before serving traffic');
    }
  }
}
