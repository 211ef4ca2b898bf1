import { Module } from '@nestjs/common';

import { SettingsModule } from '../settings/settings.module';
import { AgentsGateway } from './agents.gateway';
import { EnrollmentController } from './enrollment.controller';
import { EnrollmentService } from './enrollment.service';
import { RunRecorder } from './run.recorder';

@Module({
  imports: [SettingsModule],
  controllers: [EnrollmentController],
  providers: [AgentsGateway, RunRecorder, EnrollmentService],
  exports: [EnrollmentService],
})
export class AgentsModule {}
