// Lint: the promise rules that catch lost work (a floating promise is an error nobody sees), the
// import rules that keep `domain/` pure and `workflows/` deterministic, the layer order with no import
// circle, and small functions in production code. `npm run lint`; CI runs it.
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/** Production code from the bottom up: a folder imports only the folders before it (README, "Layout"). */
const LAYERS = ['domain', 'connectors', 'config', 'contracts', 'store', 'temporal', 'activities', 'workflows', 'worker', 'client'];
const production = LAYERS.map((layer) => `${layer}/**/*.ts`);

const nodeAndIo = [
  'node:*',
  'fs',
  'path',
  'http',
  'https',
  'net',
  'child_process',
  'crypto',
  'os',
  'axios',
  'pg',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.cache/**', '.data/**', 'test-output/**', 'dist/**', 'eslint.config.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: production,
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ...LAYERS.slice(0, -1).map((layer, i) => ({
              target: `./${layer}`,
              from: LAYERS.slice(i + 1).map((above) => `./${above}`),
              message: `the layers are ${LAYERS.join(' < ')}: ${layer}/ imports only the folders before it`,
            })),
            ...LAYERS.map((layer) => ({ target: `./${layer}`, from: './simulators', message: 'nothing in production imports simulators/' })),
          ],
        },
      ],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // The domain is pure: schemas, rules and mappings, safe to import anywhere, workflows included.
    files: ['domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeAndIo, message: 'domain/ is pure: no I/O, no Node modules, no Temporal client or worker' },
            { group: ['../connectors*', '../activities*', '../worker*', '../client*', '../workflows*'], message: 'domain/ depends on nothing of the engine' },
          ],
        },
      ],
    },
  },
  {
    // Workflows are deterministic and replayed: only workflow code, the contracts and task queue names.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeAndIo, message: 'workflows/ run in the deterministic sandbox: no Node modules or I/O (put it in an activity)' },
            { group: ['../connectors*', '../worker*', '../client*', '../simulators*'], message: 'workflows/ import no I/O code (put it in an activity)' },
            {
              regex: '^\\.\\./activities(/.*)?$',
              allowTypeImports: true,
              message: 'workflows/ import activities as types only (proxyActivities), and shared values from contracts/',
            },
            {
              regex: '^\\.\\./domain(?!/(task-queues|order-code)$)(/.*)?$',
              allowTypeImports: true,
              message: "workflows/ import values only from domain/task-queues and domain/order-code (a change to the rest would change every open run's code)",
            },
          ],
        },
      ],
    },
  },
);
