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
      // Element Plus components import their CSS; inlined, Vitest handles those imports instead of Node.
      server: { deps: { inline: ['element-plus'] } },
    },
  }),
);
