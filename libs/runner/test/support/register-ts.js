// Lets a child process of a test load the TypeScript sources directly: `node -r register-ts.js child.ts`.
// Files are compiled with SWC to CommonJS, and @ects/* packages resolve to their sources, as in Vitest.
const { transformSync } = require('@swc/core');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '../../../..');
const aliases = {
  '@ects/domain': 'libs/domain/src/index.ts',
  '@ects/etcd': 'libs/etcd/src/index.ts',
  '@ects/runner': 'libs/runner/src/index.ts',
};

const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolveWithSources(request, parent, ...rest) {
  if (aliases[request] !== undefined) {
    return path.join(root, aliases[request]);
  }

  if (request.startsWith('.') && parent?.filename?.endsWith('.ts')) {
    const base = path.resolve(path.dirname(parent.filename), request);
    for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
      if (fs.existsSync(candidate)) {
        return candidate;
      }
    }
  }

  return originalResolve.call(this, request, parent, ...rest);
};

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
