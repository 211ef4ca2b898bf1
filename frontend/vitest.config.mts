import { defineConfig, mergeConfig } from 'vitest/config';

import viteConfig from './vite.config.mts';

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      name: 'frontend',
      include: ['src/**/*.spec.ts'],
      environment: 'happy-dom',
      testTimeout: 30_000,
    },
  }),
);
