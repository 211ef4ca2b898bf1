import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { prometheusContentType } from 'prom-client';

import { Public } from '../../auth/auth.decorators';
import { ApiMetrics } from './api-metrics';
import { ScrapeGuard } from './scrape-access';

/**
 * `GET /metrics` in the Prometheus text format, outside the `/api` prefix and the OpenAPI document.
 * The role guard lets it through, and ScrapeGuard checks the scrape token or the address allow list.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ApiMetrics) {}

  @Get()
  @Public()
  @UseGuards(ScrapeGuard)
  @Header('content-type', prometheusContentType)
  @Header('cache-control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
