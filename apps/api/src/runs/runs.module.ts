import { Module } from '@nestjs/common';

import { PublishingModule } from '../publishing/publishing.module';
import { RunCommandsController } from './run-commands.controller';
import { RunCommandsService } from './run-commands.service';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';

@Module({
  imports: [PublishingModule],
  controllers: [RunsController, RunCommandsController],
  providers: [RunsService, RunCommandsService],
  exports: [RunsService],
})
export class RunsModule {}
