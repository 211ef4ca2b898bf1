import { projectConfig } from '../../tools/vitest.shared.mjs';

// One browser drives the real processes through a long story, so the file runs alone and its steps wait for seconds.
export default projectConfig('browser', ['**/*.spec.ts'], { testTimeout: 120_000, fileParallelism: false });
