// Builds dist/ from src/: readable ES modules for GJS, one file per entry point.
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';

import { gjsBundleOptions } from './tools/gjs-bundle.mjs';

const banner = '// SPDX-License-Identifier: GPL-2.0-or-later\n' +
    '// Headroom. Built from the TypeScript sources in src/ (https://github.com/headroom/headroom).';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

await build({
    entryPoints: {
        extension: 'src/extension.ts',
        prefs: 'src/prefs.ts',
        cli: 'src/cli.ts',
    },
    outdir: 'dist',
    // GNOME Shell 46's gjs 1.80 runs SpiderMonkey 115, the oldest the extension supports.
    ...gjsBundleOptions('firefox115'),
    minify: false,
    treeShaking: true,
    legalComments: 'none',
    charset: 'utf8',
    banner: { js: banner },
});

for (const file of ['metadata.json', 'stylesheet.css', 'schemas', 'icons'])
    cpSync(file, `dist/${file}`, { recursive: true });
