import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'

export default tseslint.config(
  // '.*/**': local scratch at the top level (device-run payloads, caches), never part of the project.
  { ignores: ['out/', 'dist/', 'node_modules/', '.cache/', 'tests/fixtures/', 'test-results/', '.*/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error'
    }
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules
  },
  {
    // The engine is a plain Node library: usable from the worker, the CLI and tests alike.
    files: [
      'src/engine/**/*.ts',
      'src/worker/**/*.ts',
      'src/cli/**/*.ts',
      'src/shared/**/*.ts',
      'src/watch/**/*.ts'
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Only src/main and src/preload may import electron.' }] }
      ]
    }
  }
)
