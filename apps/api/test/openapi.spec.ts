import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/infra/config/config';
import { buildOpenApiDocument, stringifySorted } from '../src/infra/openapi/openapi';

type Schema = { properties?: Record<string, { description?: string; $ref?: string; allOf?: unknown[] }> };
type Operation = { 'x-roles'?: string[]; summary?: string };

describe('OpenAPI document', () => {
  let generated: string;
  let document: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

  beforeAll(async () => {
    const app = await createApp(
      loadConfig({ ECTS_DATABASE_URL: 'sqlite::memory:', ECTS_JWT_SECRET: 'openapi-test', ECTS_LOG_LEVEL: 'error' }),
    );
    generated = stringifySorted(buildOpenApiDocument(app));
    document = JSON.parse(generated);
    await app.close();
  });

  it('matches the committed openapi.json', () => {
    const committed = readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8');

    // When this fails, run `npm run build -w @ects/api && npm run openapi -w @ects/api` and commit the result.
    expect(committed).toBe(generated);
  });

  it('lists the roles of every operation', () => {
    const missing = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => !operation['x-roles'] || operation['x-roles'].length === 0)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );

    expect(missing).toEqual([]);
  });

  it('summarises every operation', () => {
    const missing = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => !operation.summary)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );

    expect(missing).toEqual([]);
  });

  it('describes every schema property', () => {
    const missing = Object.entries(document.components.schemas).flatMap(([name, schema]) =>
      Object.entries(schema.properties ?? {})
        .filter(([, property]) => !property.description && !property.$ref && !property.allOf)
        .map(([property]) => `${name}.${property}`),
    );

    expect(missing).toEqual([]);
  });
});
