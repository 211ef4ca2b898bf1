import { Module } from '@nestjs/common';

import { MailService } from './mail.service';
import { SettingsController } from './settings.controller';
import { SettingsService } from './settings.service';
import { TestMailService } from './test-mail.service';

@Module({
  controllers: [SettingsController],
  providers: [SettingsService, MailService, TestMailService],
  exports: [SettingsService, MailService],
})
export class SettingsModule {}
