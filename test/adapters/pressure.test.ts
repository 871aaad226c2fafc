// Genuine memory pressure in a real cgroup, watched by the real CLI (`cli.js --watch --json`):
// full avg10 must rise above 20 % while the load runs and fall back after it stops. Also reads a real
// cgroup v2 child through the GJS adapters (see gjs-adapters.test.ts for the fixture-based ones).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
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
