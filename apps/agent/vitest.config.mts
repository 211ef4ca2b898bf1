import { projectConfig } from '../../tools/vitest.shared.mjs';

export default projectConfig('agent', ['src/**/*.spec.ts', 'test/**/*.spec.ts']);
