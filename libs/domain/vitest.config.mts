import { projectConfig } from '../../tools/vitest.shared.mjs';

export default projectConfig('domain', ['src/**/*.spec.ts', 'test/**/*.spec.ts']);
