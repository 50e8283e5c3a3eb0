import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // The bundle keeps only the zod members src/config/zod.ts names (a cold start's worth; see there).
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/config/zod.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'zod', message: "import * as z from 'src/config/zod.js': zod's own namespace bundles all of zod." }] }],
    },
  },
);
