// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports each kind of project may not make; this is how the Nx `scope:`/`type:` tags are enforced. */
const boundaries = {
  'libs/domain/**/*.ts': {
    patterns: ['@nestjs/*', 'typeorm', 'etcd3', '@ects/etcd', 'mysql2', 'socket.io*', '**/apps/**'],
    message: 'libs/domain is shared with the SPA and the CLI: it may import no Nest, TypeORM, etcd or app code',
  },
  'libs/etcd/**/*.ts': {
    patterns: ['@nestjs/*', 'typeorm', 'mysql2', '**/apps/**'],
    message: 'libs/etcd may depend on libs/domain and etcd3 only',
  },
  'libs/runner/**/*.ts': {
    patterns: ['@nestjs/*', 'typeorm', 'mysql2', 'etcd3', '**/apps/**'],
    message: 'libs/runner may depend on libs/domain, libs/etcd and socket.io-client only, so the API can embed it',
  },
  'apps/api/**/*.ts': {
    patterns: ['**/apps/agent/**', '**/apps/cli/**', '@ects/agent', '@ects/cli'],
    message: 'Apps never import each other',
  },
  'apps/agent/**/*.ts': {
    patterns: ['**/apps/api/**', '**/apps/cli/**', '@ects/api', '@ects/cli', 'typeorm', 'mysql2'],
    message: 'The agent never imports other apps and holds no database access',
  },
  'apps/cli/**/*.ts': {
    patterns: ['**/apps/api/**', '**/apps/agent/**', '@ects/api', '@ects/agent'],
    message: 'Apps never import each other',
  },
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'data/**',
      '.nx/**',
      'frontend/**',
      '**/*.mjs',
      '**/*.js',
      '**/*.mts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      eqeqeq: 'error',
      curly: 'error',
      'no-console': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'error',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  ...Object.entries(boundaries).map(([files, rule]) => ({
    files: [files],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: rule.patterns, message: rule.message }] }] },
  })),
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
    },
  },
);
