import { Global, Module } from '@nestjs/common';

import { ApiMetrics } from './api-metrics';
import { MetricsCollectors } from './metrics.collectors';
import { MetricsController } from './metrics.controller';
import { ScrapeGuard } from './scrape-access';
import { SocketProbeGateway } from './socket-probe.gateway';

/** Prometheus metrics of the API at `GET /metrics`; global, so any module can record into ApiMetrics. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [ApiMetrics, MetricsCollectors, SocketProbeGateway, ScrapeGuard],
  exports: [ApiMetrics],
})
export class MetricsModule {}
