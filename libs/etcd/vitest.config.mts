import { projectConfig } from '../../tools/vitest.shared.mjs';

export default projectConfig('etcd', ['src/**/*.spec.ts', 'test/**/*.spec.ts']);
