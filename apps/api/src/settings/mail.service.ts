import { Injectable } from '@nestjs/common';
import type { MailRequest } from '@ects/domain';
import { createTransport } from 'nodemailer';

import { SettingsService } from './settings.service';

const SMTP_TIMEOUT_MS = 10_000;

export class MailNotConfiguredError extends Error {
  readonly code = 'SMTP_NOT_CONFIGURED';

  constructor() {
    super('SMTP is not configured; save SMTP settings with enabled: true first');
  }
}

/** Sends mail with the instance's SMTP settings, for test mails and for the mail steps of agents. */
@Injectable()
export class MailService {
  constructor(private readonly settings: SettingsService) {}

  /** Sends one plain-text mail and resolves to the message id and the recipients the server accepted. */
  async send(request: MailRequest): Promise<{ messageId: string; accepted: string[] }> {
    const smtp = await this.settings.smtpForSending();
    if (!smtp.enabled || smtp.host === '') {
      throw new MailNotConfiguredError();
    }

    const transport = createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      auth: smtp.username === '' ? undefined : { user: smtp.username, pass: smtp.password ?? '' },
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
    });

    try {
      const info = await transport.sendMail({
        from: smtp.from,
        to: request.to,
        cc: request.cc,
        subject: request.subject,
        text: request.body,
      });

      return { messageId: info.messageId, accepted: info.accepted.map(String) };
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);

      throw new Error(`Sending through ${smtp.host}:${smtp.port} failed: ${reason}`, { cause: error });
    } finally {
      transport.close();
    }
  }
}
