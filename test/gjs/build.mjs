// Bundles the GJS-side tests (test/gjs/*.gjs.ts) into dist-test/ for `gjs -m`.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';

const dir = new URL('.', import.meta.url).pathname;
await build({
    entryPoints: readdirSync(dir).filter(f => f.endsWith('.gjs.ts')).map(f => `${dir}${f}`),
    outdir: 'dist-test',
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'firefox102',
    external: ['gi://*', 'resource://*', 'system', 'gettext', 'cairo'],
    logLevel: 'warning',
});
