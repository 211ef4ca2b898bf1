import { randomUUID } from 'node:crypto';

import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import type { Role } from '@ects/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PUBLIC_KEY, ROLE_KEY } from '../src/auth/auth.decorators';
import { startTestApp, type TestApp } from './support/app';

const ROLES: Role[] = ['viewer', 'operator', 'admin'];
const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  method: string;
  path: string;
  roles: string[] | undefined;
}

/** Fills every path parameter: `position` with 0, everything else with a random UUID. */
function concretePath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, (_match, name: string) => (name === 'position' ? '0' : randomUUID()));
}

describe('route role rules', () => {
  let api: TestApp;
  let operations: Operation[];
  const tokens: Partial<Record<Role, string>> = {};

  beforeAll(async () => {
    api = await startTestApp();
    tokens.admin = api.adminToken;
    tokens.viewer = (await api.userWithRole('viewer')).token;
    tokens.operator = (await api.userWithRole('operator')).token;

    const document = await api.request<{ paths: Record<string, Record<string, { 'x-roles'?: string[] }>> }>(
      'GET',
      '/api/docs-json',
    );
    operations = [];
    for (const [path, item] of Object.entries(document.body.paths)) {
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (operation) {
          operations.push({ method: method.toUpperCase(), path, roles: operation['x-roles'] });
        }
      }
    }
    // Signing out ends the caller's sessions, so it goes last and cannot spoil the calls after it.
    operations.sort((a, b) => Number(a.path.endsWith('/auth/logout')) - Number(b.path.endsWith('/auth/logout')));
  });

  afterAll(async () => {
    await api.close();
  });

  it('every controller route has a role rule', () => {
    const reflector = api.app.get(Reflector);
    const scanner = new MetadataScanner();
    const discovery = new DiscoveryService(api.app.get(ModulesContainer));
    const routes: string[] = [];
    const unguarded: string[] = [];

    for (const wrapper of discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) {
        continue;
      }
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as (...args: unknown[]) => unknown;
        if (
          Reflect.getMetadata(PATH_METADATA, handler) === undefined ||
          Reflect.getMetadata(METHOD_METADATA, handler) === undefined
        ) {
          continue;
        }
        const label = `${controller.name}.${name}`;
        routes.push(label);
        const targets = [handler, controller];
        const isPublic = reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) === true;
        const role = reflector.getAllAndOverride<Role | undefined>(ROLE_KEY, targets);
        if (!isPublic && role === undefined) {
          unguarded.push(label);
        }
      }
    }

    expect(routes.length).toBeGreaterThan(40);
    expect(routes).toContain('UsersController.create');
    expect(unguarded).toEqual([]);
  });

  it('every OpenAPI operation lists x-roles', () => {
    const missing = operations.filter((operation) => !Array.isArray(operation.roles) || operation.roles.length === 0);

    expect(operations.length).toBeGreaterThan(40);
    expect(missing.map((operation) => `${operation.method} ${operation.path}`)).toEqual([]);
  });

  it('calls without a token get 401', async () => {
    const wrong: string[] = [];
    for (const operation of operations) {
      const response = await api.request(operation.method, concretePath(operation.path), {
        body: operation.method === 'GET' ? undefined : {},
      });
      const isPublic = operation.roles?.includes('public') ?? false;
      if (isPublic ? response.status === 401 || response.status === 403 : response.status !== 401) {
        wrong.push(`${operation.method} ${operation.path} -> ${response.status}`);
      }
    }

    expect(wrong).toEqual([]);
  });

  it('roles outside x-roles get 403', async () => {
    const wrong: string[] = [];
    for (const operation of operations) {
      for (const role of ROLES) {
        const response = await api.request(operation.method, concretePath(operation.path), {
          token: tokens[role],
          body: operation.method === 'GET' ? undefined : {},
        });
        const allowed = (operation.roles ?? []).includes(role) || (operation.roles ?? []).includes('public');
        const denied = response.status === 401 || response.status === 403;
        if (allowed ? denied : response.status !== 403) {
          wrong.push(
            `${operation.method} ${operation.path} as ${role} -> ${response.status} ${JSON.stringify(response.body)}`,
          );
        }
      }
    }

    expect(wrong).toEqual([]);
  });

  it('x-roles match the role metadata', () => {
    const byPath = new Map(operations.map((operation) => [`${operation.method} ${operation.path}`, operation.roles]));

    expect(byPath.get('POST /api/users')).toEqual(['admin']);
    expect(byPath.get('POST /api/tasks')).toEqual(['operator', 'admin']);
    expect(byPath.get('GET /api/runs')).toEqual(['viewer', 'operator', 'admin']);
    expect(byPath.get('POST /api/auth/login')).toEqual(['public']);
  });
});
