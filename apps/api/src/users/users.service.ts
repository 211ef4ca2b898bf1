import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { v7 as uuidv7 } from 'uuid';
import { DataSource, type EntityManager, type FindOptionsWhere } from 'typeorm';

import { AuditService } from '../audit/audit.service';
import type { Actor } from '../infra/context/request-context';
import { containing } from '../infra/database/like';
import { pageOf, skipOf, type Page } from '../infra/http/pagination';
import { CreateUserDto, ResetPasswordDto, UpdateUserDto, UserDto, UserQueryDto } from './dto/user.dto';
import { UserEntity } from './entities/user.entity';
import { hashPassword } from './passwords';
import { toUserDto } from './users.mapper';

@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(query: UserQueryDto): Promise<Page<UserDto>> {
    const base: FindOptionsWhere<UserEntity> = query.role === undefined ? {} : { role: query.role };
    const where =
      query.search === undefined
        ? base
        : [
            { ...base, name: containing(query.search, 'searchName') },
            { ...base, email: containing(query.search.toLowerCase(), 'searchEmail') },
          ];
    const [users, total] = await this.dataSource.getRepository(UserEntity).findAndCount({
      where,
      order: { createdAt: query.order === 'asc' ? 'ASC' : 'DESC', id: 'ASC' },
      skip: skipOf(query),
      take: query.pageSize,
    });

    return pageOf(users.map(toUserDto), total, query);
  }

  async get(id: string): Promise<UserDto> {
    return toUserDto(await this.find(this.dataSource.manager, id));
  }

  async create(input: CreateUserDto): Promise<UserDto> {
    return this.dataSource.transaction(async (manager) => {
      await this.assertEmailFree(manager, input.email);
      const user = manager.create(UserEntity, {
        id: uuidv7(),
        name: input.name,
        email: input.email,
        passwordHash: await hashPassword(input.password),
        role: input.role,
        disabled: false,
        tokenVersion: 0,
      });
      await manager.save(user);

      const after = toUserDto(user);
      await this.audit.record({ action: 'user.create', entityType: 'user', entityId: user.id, after }, manager);

      return after;
    });
  }

  async update(id: string, input: UpdateUserDto, actor: Actor): Promise<UserDto> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.find(manager, id);
      const before = toUserDto(user);

      if (input.email !== undefined && input.email !== user.email) {
        await this.assertEmailFree(manager, input.email);
        user.email = input.email;
      }
      if (input.name !== undefined) {
        user.name = input.name;
      }
      if (input.role !== undefined && input.role !== user.role) {
        if (user.role === 'admin') {
          await this.assertAnotherAdmin(manager, user.id, 'change the role of');
        }
        user.role = input.role;
        user.tokenVersion += 1;
      }
      if (input.disabled !== undefined && input.disabled !== user.disabled) {
        if (input.disabled && actor.userId === user.id) {
          throw new BadRequestException('You cannot disable your own account; ask another admin');
        }
        if (input.disabled && user.role === 'admin') {
          await this.assertAnotherAdmin(manager, user.id, 'disable');
        }
        user.disabled = input.disabled;
        user.tokenVersion += 1;
      }
      await manager.save(user);

      const after = toUserDto(user);
      await this.audit.record({ action: 'user.update', entityType: 'user', entityId: id, before, after }, manager);

      return after;
    });
  }

  async resetPassword(id: string, input: ResetPasswordDto): Promise<UserDto> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.find(manager, id);
      user.passwordHash = await hashPassword(input.password);
      user.tokenVersion += 1;
      await manager.save(user);

      const after = toUserDto(user);
      await this.audit.record({ action: 'user.reset_password', entityType: 'user', entityId: id, after }, manager);

      return after;
    });
  }

  async remove(id: string, actor: Actor): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const user = await this.find(manager, id);
      if (actor.userId === user.id) {
        throw new BadRequestException('You cannot delete your own account; ask another admin');
      }
      if (user.role === 'admin') {
        await this.assertAnotherAdmin(manager, user.id, 'delete');
      }

      await manager.delete(UserEntity, { id });
      await this.audit.record(
        { action: 'user.delete', entityType: 'user', entityId: id, before: toUserDto(user) },
        manager,
      );
    });
  }

  private async find(manager: EntityManager, id: string): Promise<UserEntity> {
    const user = await manager.findOneBy(UserEntity, { id });
    if (!user) {
      throw new NotFoundException(`User ${id} not found`);
    }

    return user;
  }

  private async assertEmailFree(manager: EntityManager, email: string): Promise<void> {
    if (await manager.existsBy(UserEntity, { email })) {
      throw new ConflictException(`A user with e-mail ${email} already exists`);
    }
  }

  /** Keeps at least one enabled admin, so the instance can always be managed. */
  private async assertAnotherAdmin(manager: EntityManager, userId: string, verb: string): Promise<void> {
    const admins = await manager.findBy(UserEntity, { role: 'admin', disabled: false });
    if (!admins.some((admin) => admin.id !== userId)) {
      throw new ConflictException(`Cannot ${verb} the last enabled admin; make another user admin first`);
    }
  }
}

/** Escape character of every LIKE pattern here. SQLite has no default one, so each LIKE names it. */
