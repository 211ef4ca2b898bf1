// @vitest-environment node
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { permissionsPath, renderPermissions, renderSchema, schemaPath } from '../../scripts/generate-api.mjs';

// The committed client types must match apps/api/openapi.json; `npm run generate:api -w @ects/frontend` fixes a failure.
describe('generated API client', () => {
  it('schema matches the OpenAPI document', async () => {
    expect(readFileSync(schemaPath, 'utf8')).toBe(await renderSchema());
  });

  it('permissions match the OpenAPI document', async () => {
    expect(readFileSync(permissionsPath, 'utf8')).toBe(await renderPermissions());
  });
});
