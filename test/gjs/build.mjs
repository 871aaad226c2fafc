// Bundles the GJS-side tests (test/gjs/*.gjs.ts) into dist-test/ for `gjs -m`.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';

import { gjsBundleOptions } from '../../tools/gjs-bundle.mjs';

const dir = new URL('.', import.meta.url).pathname;
await build({
    entryPoints: readdirSync(dir).filter(f => f.endsWith('.gjs.ts')).map(f => `${dir}${f}`),
    outdir: 'dist-test',
    // Debian 12's gjs 1.74 (SpiderMonkey 102) runs them, as well as the shells' newer ones.
    ...gjsBundleOptions('firefox102'),
});
