import { projectConfig } from '../../tools/vitest.shared.mjs';

export default projectConfig('runner', ['src/**/*.spec.ts', 'test/**/*.spec.ts']);
