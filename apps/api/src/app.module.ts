import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';

import { AgentsModule } from './agents/agents.module';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { EmbeddedModule } from './embedded/embedded.module';
import { HealthModule } from './health/health.module';
import { ChangesModule } from './infra/changes/changes.module';
import type { AppConfig } from './infra/config/config';
import { ConfigModule } from './infra/config/config.module';
import { CoordinationModule } from './infra/coordination/coordination.module';
import { DatabaseModule } from './infra/database/database.module';
import { LoggingModule } from './infra/logging/logging.module';
import { MetricsModule } from './infra/metrics/metrics.module';
import { SpaModule } from './infra/spa/spa.module';
import { LiveModule } from './live/live.module';
import { NodesModule } from './nodes/nodes.module';
import { PipelinesModule } from './pipelines/pipelines.module';
import { PresenceModule } from './presence/presence.module';
import { PublishingModule } from './publishing/publishing.module';
import { RetentionModule } from './retention/retention.module';
import { RunsModule } from './runs/runs.module';
import { SettingsModule } from './settings/settings.module';
import { TasksModule } from './tasks/tasks.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        MetricsModule,
        DatabaseModule.forRoot(config),
        ThrottlerModule.forRoot([
          { name: 'login', ttl: config.loginThrottle.windowSeconds * 1000, limit: config.loginThrottle.limit },
        ]),
        ChangesModule,
        CoordinationModule,
        LiveModule,
        AuditModule,
        AuthModule,
        TokensModule,
        UsersModule,
        NodesModule,
        TasksModule,
        PipelinesModule,
        RunsModule,
        SettingsModule,
        DashboardModule,
        HealthModule,
        PublishingModule,
        PresenceModule,
        AgentsModule,
        EmbeddedModule,
        RetentionModule,
        SpaModule,
      ],
      providers: [{ provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
    };
  }
}
