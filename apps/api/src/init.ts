import { randomBytes } from 'node:crypto';

import { Logger } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';

import { AuditEventEntity } from './audit/entities/audit-event.entity';
import type { AppConfig } from './infra/config/config';
import { createDataSource } from './infra/database/data-source';
import { UserEntity } from './users/entities/user.entity';
import { hashPassword } from './users/passwords';

export interface InitResult {
  appliedMigrations: string[];
  /** Set when this run created the first admin. */
  createdAdmin: { email: string; password: string; generated: boolean } | null;
}

/**
 * Prepares a database: applies pending migrations and, when there is no user yet, creates the
 * first admin. Running it again changes nothing and never drops data.
 */
export async function initialize(config: AppConfig): Promise<InitResult> {
  const logger = new Logger('Init');
  const dataSource = createDataSource(config.database);
  await dataSource.initialize();

  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) {
      logger.log(`Applied migration ${migration.name}`);
    }

    const createdAdmin = await dataSource.transaction(async (manager) => {
      if ((await manager.count(UserEntity)) > 0) {
        return null;
      }

      const generated = config.initialAdmin.password === null;
      const password = config.initialAdmin.password ?? randomBytes(12).toString('base64url');
      const admin = manager.create(UserEntity, {
        id: uuidv7(),
        name: 'Administrator',
        email: config.initialAdmin.email,
        passwordHash: await hashPassword(password),
        role: 'admin',
        disabled: false,
        tokenVersion: 0,
      });
      await manager.save(admin);
      await manager.insert(AuditEventEntity, {
        id: uuidv7(),
        actorKind: 'system',
        actorId: null,
        actorName: 'ects init',
        action: 'user.create',
        entityType: 'user',
        entityId: admin.id,
        before: null,
        after: { id: admin.id, email: admin.email, role: admin.role },
        ip: null,
        userAgent: null,
      });

      return { email: admin.email, password, generated };
    });

    return { appliedMigrations: applied.map((migration) => migration.name), createdAdmin };
  } finally {
    await dataSource.destroy();
  }
}
