import { Module } from '@nestjs/common';

import { EmbeddedAgent } from './embedded-agent.service';

@Module({ providers: [EmbeddedAgent], exports: [EmbeddedAgent] })
export class EmbeddedModule {}
