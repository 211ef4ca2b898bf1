import { Controller, Get, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';

import { Public } from '../auth/auth.decorators';
import { CoordinationHealthIndicator } from './coordination.health';
import { HealthCheckFilter } from './health-check.filter';
import { MigrationsHealthIndicator } from './migrations.health';

@ApiTags('health')
@Controller('health')
@UseFilters(HealthCheckFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly migrations: MigrationsHealthIndicator,
    private readonly coordination: CoordinationHealthIndicator,
  ) {}

  @Get()
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database and etcd answer and every migration is applied' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2_000 }),
      () => this.migrations.isUpToDate('migrations'),
      () => this.coordination.isReachable('etcd'),
    ]);
  }
}
