import { defineConfig } from 'vitest/config';

// One Vitest run over every workspace project; `npm test` wraps it with the services it needs.
export default defineConfig({
  test: {
    projects: [
      'libs/domain',
      'libs/etcd',
      'libs/runner',
      'apps/api',
      'apps/agent',
      'apps/cli',
      'frontend',
      'tests/e2e',
      'tests/browser',
    ],
  },
});
