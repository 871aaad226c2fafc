// Runs the GJS-side adapter tests (test/gjs/*.gjs.ts, bundled into dist-test/) under real gjs and
// reports each of their results as a mocha test.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { makeChild } from '../tools/cgroups.mjs';

interface GjsResult { name?: string; ok?: boolean; error?: string; note?: string }

execFileSync('node', ['test/gjs/build.mjs'], { stdio: 'inherit' });

function runBundle(bundle: string, env: Record<string, string>): { results: GjsResult[]; stderr: string; status: number | null } {
    const r = spawnSync('gjs', ['-m', bundle], { encoding: 'utf8', timeout: 120000, env: { ...process.env, ...env } });
    const results = r.stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as GjsResult);
    return { results, stderr: r.stderr, status: r.status };
}

const fixture = mkdtempSync(join(tmpdir(), 'headroom-gjs-fixture-'));
cpSync('test/fixtures/calm', fixture, { recursive: true });
// A real cgroup v2 child with a real busy process in it, for the freezer and the PSI read.
const child = makeChild('gjs-sys');
child.spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
const sys = runBundle('dist-test/sys.gjs.js', { HEADROOM_FIXTURE: fixture, HEADROOM_REAL_CGROUP: child.v2Path });

const podmanLog = join(mkdtempSync(join(tmpdir(), 'headroom-podman-')), 'argv.log');
const inventory = runBundle('dist-test/inventory.gjs.js', {
    HEADROOM_SEED: 'test/fixtures/seed',
    HEADROOM_HOSTILE: 'test/fixtures/hostile',
    HEADROOM_FAKE_PODMAN: resolve('test/adapters/bin/fake-podman'),
    HEADROOM_PODMAN_LOG: podmanLog,
    HEADROOM_REAL_CGROUP: child.v2Path,
});
await child.remove();

function report(title: string, bundle: { results: GjsResult[]; stderr: string; status: number | null }, expected: number) {
    describe(title, function () {
        it('the gjs test bundle ran to the end', function () {
            assert.equal(bundle.status, 0, bundle.stderr);
            assert.equal(bundle.results.filter(r => r.name).length, expected, `results; stderr:\n${bundle.stderr}`);
        });
        it('no GLib CRITICAL or WARNING on stderr (in GNOME Shell they land in the journal)', function () {
            assert.doesNotMatch(bundle.stderr, /-(CRITICAL|WARNING) \*\*/);
        });
        for (const result of bundle.results.filter(r => r.name)) {
            it(result.name ?? '', function () {
                if (!result.ok)
                    assert.fail(result.error);
            });
        }
    });
}

report('src/sys under gjs: pressure reads, discovery, sampler, freezer', sys, 28);
report('src/sys under gjs: inventory scan, subprocesses, container actions', inventory, 17);
