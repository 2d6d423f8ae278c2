// ESLint: typescript-eslint's recommended type-checked rules, tuned where they fight this codebase
// (said per rule). Run by `npm test` (scripts/test.ts) and `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.tools/',
      '.conveyor/',
      'test/histories/',
      'sandbox/heroku/schema/',
      'examples/',
      'deploy/',
      'bench/results*',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.cjs', 'bin/*.js', 'scripts/*.js', 'examples/*.js', 'dashboard/public/*.js'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Non-null assertions mark facts the plan established a line above (a candidate has a slug).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Handlers and tests pass promises to fire-and-forget on purpose (notices, watches), marked `void`.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      // JSON from Heroku, GitHub and the sandbox is typed at the adapter's edge, not at every access.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Template literals print numbers and nulls in reasons people read ("v12", "unknown").
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Temporal handlers and node:test callbacks are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      // A server's handlers may read a variable assigned once the server listens.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Stack and client helpers are closures handed around as values (`const temporal = stack.temporal`).
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The pipeline's memory and the decision are plain code: unit-tested without a worker, never Temporal.
    files: ['workflows/memory/**/*.ts', 'domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@temporalio/*'], message: 'workflows/memory/ and domain/ never import Temporal.' }] },
      ],
    },
  },
  {
    // Heroku's and GitHub's clients are made in one place, with their budgets: everyone else asks for them.
    files: [
      'activities/**/*.ts',
      'cli/**/*.ts',
      'client/**/*.ts',
      'dashboard/**/*.ts',
      'worker/**/*.ts',
      'bench/**/*.ts',
    ],
    // The bench's cedar-style baseline stands for another tool: it builds its own heroku-client.
    ignores: ['activities/api-clients.ts', 'bench/cedar.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['heroku-client', 'octokit'].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'build clients with apiClients() from activities/api-clients.ts (one budget per token).',
          })),
        },
      ],
    },
  },
  {
    // node:test's describe() and test() return promises the runner awaits itself.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      // Tests match terminal colours (ANSI escapes) and poke at untyped JSON on purpose.
      'no-control-regex': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', module: 'writable', require: 'readonly' },
    },
  },
  {
    // The dashboard's page script runs in the browser.
    files: ['dashboard/public/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'document',
          'window',
          'location',
          'history',
          'URLSearchParams',
          'EventSource',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'fetch',
          'FormData',
          'console',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
