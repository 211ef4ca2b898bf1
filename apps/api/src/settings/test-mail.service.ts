import { BadGatewayException, ConflictException, Injectable, Logger } from '@nestjs/common';

import { AuditService } from '../audit/audit.service';
import { TestMailResultDto } from './dto/smtp.dto';
import { MailNotConfiguredError, MailService } from './mail.service';

@Injectable()
export class TestMailService {
  private readonly logger = new Logger(TestMailService.name);

  constructor(
    private readonly mail: MailService,
    private readonly audit: AuditService,
  ) {}

  async send(to: string): Promise<TestMailResultDto> {
    try {
      const sent = await this.mail.send({
        to: [to],
        subject: 'ECTS test mail',
        body: 'This test mail shows that ECTS can send mail with the SMTP settings saved in its console.',
      });
      await this.audit.record({
        action: 'settings.smtp.test',
        entityType: 'settings',
        entityId: 'smtp',
        after: { to },
      });

      return sent;
    } catch (error: unknown) {
      if (error instanceof MailNotConfiguredError) {
        throw new ConflictException(error.message);
      }
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(`Test mail to ${to} failed: ${reason}`);
      throw new BadGatewayException(reason);
    }
  }
}
