import { projectConfig } from '../../tools/vitest.shared.mjs';

export default projectConfig('cli', ['src/**/*.spec.ts', 'test/**/*.spec.ts']);
