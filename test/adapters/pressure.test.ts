// Genuine memory pressure in a real cgroup, watched by the real CLI (`cli.js --watch --json`):
// full avg10 must rise above 20 % while the load runs and fall back after it stops. Also reads a real
// cgroup v2 child through the GJS adapters (see gjs-adapters.test.ts for the fixture-based ones).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import type { SnapshotReport } from '../../src/core/report.js';
import { findCgroup2Mount, makeChild, type Child } from '../tools/cgroups.mjs';
import { startPressure, type PressureHandle } from '../tools/pressure.mjs';

/** Follows the JSON lines of a running `cli.js --watch --json`. */
class Watch {
    readonly lines: SnapshotReport[] = [];
    private readonly _proc: ChildProcess;
    private _waiters: (() => void)[] = [];

    constructor(args: string[]) {
        this._proc = spawn('gjs', ['-m', 'dist/cli.js', '--watch', '--json', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
        const rl = createInterface({ input: this._proc.stdout as NodeJS.ReadableStream });
        rl.on('line', line => {
            this.lines.push(JSON.parse(line) as SnapshotReport);
            for (const w of this._waiters.splice(0))
                w();
        });
    }

    /** Resolves with the first line (from now on) that satisfies `test`. */
    async until(test: (r: SnapshotReport) => boolean, timeoutMs: number, what: string): Promise<SnapshotReport> {
        const deadline = Date.now() + timeoutMs;
        let seen = this.lines.length;
        for (;;) {
            const hit = this.lines.slice(seen).find(test);
            if (hit)
                return hit;
            seen = this.lines.length;
            const left = deadline - Date.now();
            if (left <= 0)
                throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(this.lines.at(-1))}`);
            await new Promise<void>(resolve => {
                const t = setTimeout(resolve, left);
                this._waiters.push(() => {
                    clearTimeout(t);
                    resolve();
                });
            });
        }
    }

    stop(): void {
        this._proc.kill('SIGTERM');
    }
}

const fullOf = (r: SnapshotReport) => r.slices[0]?.fullAvg10 ?? -1;

describe('real memory pressure in a cgroup v2 child, seen by cli.js --watch', function () {
    this.timeout(120000);
    let child: Child | null = null;
    let load: PressureHandle | null = null;
    let watch: Watch | null = null;

    after(async function () {
        watch?.stop();
        await load?.stop();
        await child?.remove();
    });

    it('rises above 20 % full while the load runs, and falls back after it stops', async function () {
        const mount = findCgroup2Mount();
        assert.ok(mount, 'no cgroup2 mount on this machine');
        child = makeChild('cli-watch');
        const path = child.v2Path.slice(mount.length);

        watch = new Watch(['--root', mount, '--cgroup', path]);
        const calm = await watch.until(() => true, 10000, 'a first sample');
        assert.equal(calm.slices[0]?.path, path);
        assert.ok(fullOf(calm) < 5, `calm before the load: ${fullOf(calm)}`);

        load = await startPressure({ cgroup: child });
        const high = await watch.until(r => fullOf(r) > 20, 60000, 'full avg10 above 20 %');
        assert.equal(high.slices[0]?.error, null);

        await load.stop();
        load = null;
        const peak = Math.max(...watch.lines.map(fullOf));
        const low = await watch.until(r => fullOf(r) < peak / 2, 40000, 'full avg10 to fall to half its peak');
        assert.ok(fullOf(low) < peak / 2);
    });
});

describe('real memory pressure in one of two sibling cgroups, seen by cli.js --watch (their parent read first)', function () {
    this.timeout(150000);
    let parent: Child | null = null;
    let load: PressureHandle | null = null;
    let watch: Watch | null = null;
    const subdirs: string[] = [];

    after(async function () {
        watch?.stop();
        await load?.stop();
        for (const dir of subdirs)
            rmdirSync(dir);
        await parent?.remove();
    });

    it('once the calm siblings stand on their parent\'s reading, a stall in one is still seen rising and falling', async function () {
        const mount = findCgroup2Mount();
        assert.ok(mount, 'no cgroup2 mount on this machine');
        parent = makeChild('cli-siblings');
        const [a, b] = ['a', 'b'].map(name => join(parent?.v2Path ?? '', name)) as [string, string];
        for (const dir of [a, b]) {
            mkdirSync(dir);
            subdirs.push(dir);
        }
        const pathOf = (dir: string) => dir.slice(mount.length);
        const full = (r: SnapshotReport, dir: string) => r.slices.find(s => s.path === pathOf(dir))?.fullAvg10 ?? -1;

        // On cgroup2 the sampler reads the siblings' parent first; after 3 s of a quiet parent with both
        // at 0.00, it stops reading them and sends their readings out again.
        watch = new Watch(['--root', mount, '--cgroup', pathOf(a), '--cgroup', pathOf(b)]);
        const first = await watch.until(() => true, 10000, 'a first sample');
        assert.deepEqual(first.slices.map(s => s.path).sort(), [pathOf(a), pathOf(b)]);
        const settled = watch.lines.length + 6;
        await watch.until(() => (watch?.lines.length ?? 0) >= settled, 15000, 'six more calm samples');
        assert.ok(watch.lines.every(r => full(r, a) === 0 && full(r, b) === 0), 'both calm before the load');

        // The load starts in the parent and its workers move to `a`: only the parent's total tells.
        load = await startPressure({ cgroup: parent });
        for (const pid of load.pids)
            writeFileSync(join(a, 'cgroup.procs'), String(pid));
        const high = await watch.until(r => full(r, a) > 20, 60000, 'full avg10 of `a` above 20 %');
        assert.ok(full(high, b) < 5, `the quiet sibling: ${full(high, b)}`);

        await load.stop();
        load = null;
        const peak = Math.max(...watch.lines.map(r => full(r, a)));
        await watch.until(r => full(r, a) < peak / 2, 40000, 'full avg10 of `a` to fall to half its peak');
    });
});
