import { BadGatewayException, ConflictException, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createTransport } from 'nodemailer';
import { DataSource, type EntityManager } from 'typeorm';

import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import { SecretBox } from '../infra/crypto/secret-box';
import { SmtpSettingsDto, TestMailResultDto, UpdateSmtpSettingsDto } from './dto/smtp.dto';
import { SettingEntity } from './entities/setting.entity';

const SMTP_KEY = 'smtp';

/** SMTP settings as stored: the password sealed with the instance's encryption key. */
interface StoredSmtp {
  enabled: boolean;
  host: string;
  port: number;
  secure: boolean;
  username: string;
  sealedPassword: string | null;
  from: string;
}

/** SMTP settings with the password in the clear, for code that sends mail. */
export interface SmtpSettings extends Omit<StoredSmtp, 'sealedPassword'> {
  password: string | null;
}

const DEFAULT_SMTP: StoredSmtp = {
  enabled: false,
  host: '',
  port: 587,
  secure: false,
  username: '',
  sealedPassword: null,
  from: '',
};
const SMTP_TIMEOUT_MS = 10_000;

@Injectable()
export class SettingsService {
  private readonly logger = new Logger(SettingsService.name);
  private readonly box: SecretBox;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly audit: AuditService,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  async getSmtp(): Promise<SmtpSettingsDto> {
    return toSmtpDto(await this.readSmtp(this.dataSource.manager));
  }

  /** Returns the SMTP settings with the password decrypted, for sending mail. */
  async smtpForSending(): Promise<SmtpSettings> {
    const stored = await this.readSmtp(this.dataSource.manager);
    const { sealedPassword, ...rest } = stored;

    return { ...rest, password: sealedPassword === null ? null : this.box.open(sealedPassword) };
  }

  async updateSmtp(input: UpdateSmtpSettingsDto): Promise<SmtpSettingsDto> {
    return this.dataSource.transaction(async (manager) => {
      const current = await this.readSmtp(manager);
      const next: StoredSmtp = {
        enabled: input.enabled,
        host: input.host,
        port: input.port,
        secure: input.secure,
        username: input.username ?? '',
        sealedPassword: sealPassword(input.password, current.sealedPassword, this.box),
        from: input.from,
      };
      await manager.save(SettingEntity, { key: SMTP_KEY, value: next });

      const after = toSmtpDto(next);
      await this.audit.record(
        {
          action: 'settings.smtp.update',
          entityType: 'settings',
          entityId: SMTP_KEY,
          before: toSmtpDto(current),
          after,
        },
        manager,
      );

      return after;
    });
  }

  async sendTestMail(to: string): Promise<TestMailResultDto> {
    const smtp = await this.smtpForSending();
    if (!smtp.enabled || smtp.host === '') {
      throw new ConflictException('SMTP is not configured; save SMTP settings with enabled: true first');
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
        to,
        subject: 'ECTS test mail',
        text: 'This test mail shows that ECTS can send mail with the SMTP settings saved in its console.',
      });
      await this.audit.record({
        action: 'settings.smtp.test',
        entityType: 'settings',
        entityId: SMTP_KEY,
        after: { to },
      });

      return { messageId: info.messageId, accepted: info.accepted.map(String) };
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(`Test mail to ${to} through ${smtp.host}:${smtp.port} failed: ${reason}`);
      throw new BadGatewayException(`Sending through ${smtp.host}:${smtp.port} failed: ${reason}`);
    } finally {
      transport.close();
    }
  }

  private async readSmtp(manager: EntityManager): Promise<StoredSmtp> {
    const row = await manager.findOneBy(SettingEntity, { key: SMTP_KEY });

    return row ? { ...DEFAULT_SMTP, ...(row.value as Partial<StoredSmtp>) } : DEFAULT_SMTP;
  }
}

function sealPassword(password: string | undefined, current: string | null, box: SecretBox): string | null {
  if (password === undefined) {
    return current;
  }

  return password === '' ? null : box.seal(password);
}

function toSmtpDto(stored: StoredSmtp): SmtpSettingsDto {
  return {
    enabled: stored.enabled,
    host: stored.host,
    port: stored.port,
    secure: stored.secure,
    username: stored.username,
    passwordSet: stored.sealedPassword !== null,
    from: stored.from,
  };
}
