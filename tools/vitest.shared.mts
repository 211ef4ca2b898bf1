import { fileURLToPath } from 'node:url';

import swc from 'unplugin-swc';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const source = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url));

/**
 * Builds the Vitest config of one workspace project. Workspace libraries resolve to their sources,
 * so tests never depend on a stale build, and SWC compiles the decorators that Nest and TypeORM need.
 */
export function projectConfig(name: string, include: string[], overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  return defineConfig({
    plugins: [swc.vite({ module: { type: 'es6' } })],
    resolve: {
      alias: {
        '@ects/domain': source('libs/domain/src/index.ts'),
        '@ects/etcd': source('libs/etcd/src/index.ts'),
        '@ects/runner': source('libs/runner/src/index.ts'),
      },
    },
    test: {
      name,
      include,
      pool: 'forks',
      testTimeout: 30_000,
      hookTimeout: 120_000,
      ...overrides,
    },
  });
}
