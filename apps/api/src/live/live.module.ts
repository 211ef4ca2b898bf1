import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';

import { TokensModule } from '../tokens/tokens.module';
import { LiveEvents } from './live.events';
import { LiveGateway } from './live.gateway';

@Global()
@Module({
  imports: [JwtModule.register({}), TokensModule],
  providers: [LiveEvents, LiveGateway],
  exports: [LiveEvents],
})
export class LiveModule {}
