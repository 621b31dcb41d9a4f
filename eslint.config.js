// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', '**/coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['tools/**/*.ts', 'tools/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['libs/**/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@meridian/gateway', '@meridian/signals', '@meridian/backtest', '@meridian/monitor'], message: 'A library never imports an app.' }] },
      ],
    },
  },
);
