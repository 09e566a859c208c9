// Lint: type-aware TypeScript rules, and the layering rule: imports only point down
// (processes -> activities -> mcp, slack -> runtime -> workflows), and workflow code never touches Node.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const folders = (...names) => names.map((name) => `**/${name}/**`);
const nodeBuiltins = ['node:*', ...builtinModules.flatMap((name) => [name, `${name}/*`])];
const processes = folders('api', 'worker', 'cli', 'scripts', 'demo', 'bench', 'chaos', 'test', 'testkit');

// Contract modules that build zod schemas, read from the folder so a new one is covered without a list to keep.
const contractDir = new URL('./workflows/contract/', import.meta.url);
const schemaModules = readdirSync(contractDir)
  .filter((file) => file.endsWith('.ts') && /from 'zod'/.test(readFileSync(new URL(file, contractDir), 'utf8')))
  .map((file) => `./contract/${file}`);

/** Forbids importing these patterns, with the reason in the message. */
const forbid = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Async functions often implement async interfaces (Fastify plugins, Bolt handlers) with nothing to await.
      '@typescript-eslint/require-await': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: forbid(
      [...nodeBuiltins, ...folders('runtime', 'activities', 'slack'), ...processes],
      'workflows/ is deterministic workflow code: no Node built-ins, and it imports nothing else of the repository.',
    ),
  },
  {
    // zod schemas would be built anew in every cached round: workflow code imports the contract's types from its
    // barrel, and values only from the contract modules that hold no schema (names, failures, handlers, ids).
    files: ['workflows/*.ts'],
    ignores: ['workflows/contract.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'zod', message: 'no zod in workflow code: see workflows/input-checks.ts' }],
          patterns: [
            {
              group: ['./contract.ts'],
              allowTypeImports: true,
              message: 'import types from the barrel, values from workflows/contract/<module>.ts',
            },
            {
              group: schemaModules,
              allowTypeImports: true,
              message: 'these contract modules build zod schemas: import their types only',
            },
          ],
        },
      ],
    },
  },
  {
    // Processes share the contract and workflows/shared/ with the workflow; workflow internals stay inside it.
    files: ['{api,slack,cli,runtime,mcp,activities,worker,scripts,demo}/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)workflows/(?!contract\\.ts$|contract/|shared/)',
              allowTypeImports: true,
              message: 'import the contract (workflows/contract*) or workflows/shared/, not workflow internals',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['runtime/**/*.ts'],
    rules: forbid(
      [...folders('activities', 'mcp', 'slack'), ...processes],
      'runtime/ may import only workflows/ (the contract).',
    ),
  },
  {
    files: ['mcp/**/*.ts'],
    rules: forbid(
      [...folders('activities', 'slack'), ...processes],
      'mcp/ (MCP transport) may import runtime/ and workflows/, never activities/, slack/ or a process folder.',
    ),
  },
  {
    files: ['activities/**/*.ts', 'slack/**/*.ts'],
    rules: forbid(processes, 'activities/ and slack/ may import runtime/ and workflows/, never a process folder.'),
  },
  {
    // What harnesses share lives in testkit/: the benchmark and the fault-injection runs never reach into test/.
    files: ['testkit/**/*.ts'],
    rules: forbid(
      folders('test', 'bench', 'chaos'),
      'testkit/ is shared by test/, bench/ and chaos/: it imports none of them.',
    ),
  },
  {
    files: ['bench/**/*.ts', 'chaos/**/*.ts'],
    rules: forbid(folders('test'), 'bench/ and chaos/ share helpers with test/ through testkit/ only.'),
  },
  {
    files: ['test/**/*.ts'],
    rules: forbid(folders('bench'), 'test/ shares helpers with bench/ through testkit/ only.'),
  },
  {
    // Harnesses read JSON answers as `any` on purpose; the promise rules still hold there.
    files: ['test/**/*.ts', 'testkit/**/*.ts', 'bench/**/*.ts', 'chaos/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
