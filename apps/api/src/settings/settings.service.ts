import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import { SecretBox } from '../infra/crypto/secret-box';
import { SmtpSettingsDto, UpdateSmtpSettingsDto } from './dto/smtp.dto';
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

@Injectable()
export class SettingsService {
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
