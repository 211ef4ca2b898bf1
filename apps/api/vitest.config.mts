import { projectConfig } from '../../tools/vitest.shared.mjs';

export default projectConfig('api', ['src/**/*.spec.ts', 'test/**/*.spec.ts']);
