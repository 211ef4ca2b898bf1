import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

describe('generated API types', () => {
  it('match the committed OpenAPI document', () => {
    const script = join(__dirname, '..', '..', 'scripts', 'generate-api-types.mjs');
    let failure = '';
    try {
      execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error: unknown) {
      failure = String((error as { stderr?: string }).stderr ?? error);
    }

    expect(failure).toBe('');
  });
});
