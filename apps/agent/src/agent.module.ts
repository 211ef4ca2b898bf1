import { Module, type DynamicModule } from '@nestjs/common';

import { AgentService } from './agent.service';
import { AGENT_SETTINGS, type AgentSettings } from './config/settings';
import { IdentityService } from './identity/identity.service';
import { AgentLoggerModule } from './logging/logger.module';
import { AgentMetrics } from './metrics/agent-metrics';
import { MetricsServer } from './metrics/metrics.server';
import { NODE_FACTS, readNodeFacts } from './node-facts';

@Module({})
export class AgentModule {
  /** Builds the module around settings already read and validated by main.ts. */
  static forRoot(settings: AgentSettings): DynamicModule {
    return {
      module: AgentModule,
      imports: [AgentLoggerModule.forRoot(settings)],
      providers: [
        { provide: AGENT_SETTINGS, useValue: settings },
        { provide: NODE_FACTS, useFactory: readNodeFacts },
        IdentityService,
        AgentService,
        AgentMetrics,
        MetricsServer,
      ],
    };
  }
}
