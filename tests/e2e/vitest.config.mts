import { projectConfig } from '../../tools/vitest.shared.mjs';

// Processes, fires and timeouts take seconds here, and files share one machine, so they run one at a time.
export default projectConfig('e2e', ['**/*.spec.ts'], { testTimeout: 120_000, fileParallelism: false });
