import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { defineConfig, globalIgnores } from 'eslint/config';

export default defineConfig(
    globalIgnores(['dist/**', 'dist-test/**', 'node_modules/**', '*.zip', 'test/e2e/screenshots/**', 'bench/out/**', 'demo/**']),
    js.configs.recommended,
    tseslint.configs.strictTypeChecked,
    tseslint.configs.stylisticTypeChecked,
    {
        languageOptions: {
            parserOptions: {
                projectService: true,
                tsconfigRootDir: import.meta.dirname,
            },
        },
        rules: {
            '@typescript-eslint/no-unnecessary-condition': 'off',
            '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
            '@typescript-eslint/class-literal-property-style': 'off',
            // `x as string` after a regex match reads better than `x!`, which the strict set forbids.
            '@typescript-eslint/non-nullable-type-assertion-style': 'off',
            '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
        },
    },
    {
        files: ['src/**/*.ts'],
        ignores: ['src/**/*.d.ts'],
        rules: {
            '@typescript-eslint/no-restricted-imports': ['error', {
                patterns: [{ group: ['@girs/*', '@girs/**'], allowTypeImports: true,
                    message: '@girs packages are types only; import gi:// or resource:/// modules at run time' }],
            }],
        },
    },
    {
        files: ['src/core/**/*.ts'],
        rules: {
            '@typescript-eslint/no-restricted-imports': ['error', {
                patterns: [
                    { group: ['@girs/*', '@girs/**'], allowTypeImports: true, message: '@girs packages are types only' },
                    { regex: '^(gi|resource):', message: 'src/core must stay runtime-agnostic (no GI, no shell)' },
                    { regex: '^\\.\\./(sys|ui)/|^\\.\\./(extension|prefs|cli)', message: 'src/core imports no other layer' },
                ],
            }],
        },
    },
    {
        files: ['src/ui/**/*.ts'],
        rules: {
            '@typescript-eslint/no-restricted-imports': ['error', {
                patterns: [
                    { group: ['@girs/*', '@girs/**'], allowTypeImports: true, message: '@girs packages are types only' },
                    { regex: '^\\.\\./sys/', message: 'src/ui does not import src/sys; actions come in as callbacks' },
                ],
            }],
        },
    },
    {
        files: ['src/prefs.ts', 'src/prefs/**/*.ts'],
        rules: {
            '@typescript-eslint/no-restricted-imports': ['error', {
                patterns: [
                    { group: ['@girs/*', '@girs/**'], allowTypeImports: true, message: '@girs packages are types only' },
                    { regex: '^resource:///org/gnome/shell/', caseSensitive: true, message: 'prefs run outside the shell' },
                    { regex: '^gi://(St|Clutter|Meta|Shell)', message: 'prefs run outside the shell' },
                    { regex: '^\\.\\.?/(\\.\\./)?(ui|sys)/', message: 'prefs use no shell-side module' },
                ],
            }],
        },
    },
    {
        files: ['**/*.js', '**/*.mjs'],
        extends: [tseslint.configs.disableTypeChecked],
        languageOptions: {
            globals: { print: 'readonly', printerr: 'readonly', log: 'readonly', ARGV: 'readonly',
                console: 'readonly', process: 'readonly', URL: 'readonly', Buffer: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly',
                setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' },
        },
    },
);
