// The command-line tool under real gjs, against fixture trees.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { SnapshotReport as Report } from '../../src/core/report.js';

const CLI = 'dist/cli.js';
const MANAGER = 'user.slice/user-1000.slice/user@1000.service';

function cli(args: string[], asUser?: number) {
    const argv = ['-m', CLI, ...args];
    const r = asUser === undefined
        ? spawnSync('gjs', argv, { encoding: 'utf8', timeout: 20000 })
        : spawnSync('setpriv', [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', 'gjs', ...argv],
            { encoding: 'utf8', timeout: 20000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fixtureCopy(): string {
    const dir = mkdtempSync(join(tmpdir(), 'headroom-cli-'));
    cpSync('test/fixtures/calm', dir, { recursive: true });
    return dir;
}

describe('cli.js under gjs', function () {
    it('prints the level and every slice of a calm fixture, exit 0', function () {
        const r = cli(['--root', 'test/fixtures/calm', '--uid', '1000']);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, 'Memory pressure is low\n' +
            '  Apps: 1% (limit 80%)\n  Background: 1% (limit 80%)\n  Session: 1% (limit 80%)\n');
    });

    it('--json gives the same numbers as the menu shows', function () {
        const r = cli(['--root', 'test/fixtures/calm', '--uid', '1000', '--json']);
        assert.equal(r.status, 0, r.stderr);
        const report = JSON.parse(r.stdout) as Report;
        assert.equal(report.level, 'ok');
        assert.deepEqual(report.slices.map(s => [s.name, s.fullAvg10, s.over]),
            [['Apps', 0.5, false], ['Background', 0.5, false], ['Session', 0.5, false]]);
    });

    it('a slice over the limit is red, with the countdown', function () {
        const root = fixtureCopy();
        writeFileSync(join(root, MANAGER, 'app.slice/memory.pressure'),
            'some avg10=95.00 avg60=60.00 avg300=20.00 total=90000000\n' +
            'full avg10=92.16 avg60=55.00 avg300=18.00 total=80000000\n');
        const r = cli(['--root', root, '--uid', '1000']);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^systemd-oomd may stop an app soon\n {2}Apps: 92% \(limit 80%\) — systemd-oomd may act in about (19|20) seconds\n/);
    });

    it('--limit and --duration override the policy', function () {
        const r = cli(['--root', 'test/fixtures/calm', '--uid', '1000', '--json', '--limit', '60', '--duration', '30']);
        const report = JSON.parse(r.stdout) as Report;
        assert.deepEqual(report.slices.map(s => [s.limitPercent, s.durationSec]), [[60, 30], [60, 30], [60, 30]]);
    });

    it('no cgroup v2 at the root: unknown with the reason, exit 1', function () {
        const r = cli(['--root', mkdtempSync(join(tmpdir(), 'headroom-empty-')), '--uid', '1000']);
        assert.equal(r.status, 1);
        assert.match(r.stdout, /^Memory pressure is unknown: no cgroup v2 hierarchy at .* \(is the system using cgroup v1\?\)\n$/);
    });

    it('an unreadable pressure file (EACCES) is reported for its slice, the others still count', function () {
        const root = fixtureCopy();
        chmodSync(join(root, MANAGER, 'app.slice/memory.pressure'), 0o000);
        chmodSync(root, 0o755);
        const r = cli(['--root', root, '--uid', '1000', '--json'], 65534);
        assert.equal(r.status, 0, r.stderr);
        const report = JSON.parse(r.stdout) as Report;
        assert.equal(report.level, 'ok');
        const app = report.slices.find(s => s.name === 'Apps');
        assert.match(app?.error ?? '', /^no permission to read .*app\.slice\/memory\.pressure$/);
        assert.equal(report.slices.filter(s => s.fullAvg10 === 0.5).length, 2);
    });

    it('malformed files everywhere: unknown with the parser\'s reason', function () {
        const root = fixtureCopy();
        for (const slice of ['app', 'background', 'session'])
            writeFileSync(join(root, MANAGER, `${slice}.slice/memory.pressure`), '<b>not psi</b>\n');
        const r = cli(['--root', root, '--uid', '1000']);
        assert.equal(r.status, 1);
        assert.match(r.stdout, /^Memory pressure is unknown: unexpected pressure line: <b>not psi<\/b>\n/);
    });

    it('rejects an unknown option with the usage, exit 2', function () {
        const r = cli(['--frobnicate']);
        assert.equal(r.status, 2);
        assert.match(r.stderr, /^unknown option --frobnicate\n\nUsage: gjs -m cli\.js/);
    });

    it('--replay prints the seed incident: warning before the timer, the kill as predicted', function () {
        const r = cli(['--replay', 'test/fixtures/replay/seed-incident.jsonl']);
        assert.equal(r.status, 0, r.stderr);
        const kinds = r.stdout.trim().split('\n').map(l => l.trim().split(/\s+/)[2]);
        assert.deepEqual(kinds, ['amber', 'warning', 'timer-start', 'predicted-kill', 'killed', 'timer-reset', 'end']);
        assert.match(r.stdout, /killed +oomd stopped libpod-payload-4f3c2a1b9e8d in app\.slice \(as predicted\)/);
    });

    it('--replay --json gives one event object per line, and a 5 s burst never warns', function () {
        const r = cli(['--replay', 'test/fixtures/replay/burst-5s.jsonl', '--json']);
        assert.equal(r.status, 0, r.stderr);
        const events = r.stdout.trim().split('\n').map(l => JSON.parse(l) as { kind: string; shown?: boolean });
        assert.ok(!events.some(e => e.kind === 'warning'));
        assert.equal(events.at(-1)?.kind, 'end');
        assert.equal(events.at(-1)?.shown, false);
    });

    it('--replay of a missing or empty file fails with the reason, exit 1', function () {
        const missing = cli(['--replay', '/nonexistent/trace.jsonl']);
        assert.equal(missing.status, 1);
        assert.match(missing.stderr, /\/nonexistent\/trace\.jsonl does not exist/);
        const dir = mkdtempSync(join(tmpdir(), 'headroom-replay-'));
        writeFileSync(join(dir, 'bad.jsonl'), '{"t": 1}\nnot json\n');
        const bad = cli(['--replay', join(dir, 'bad.jsonl')]);
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /bad\.jsonl:2: /);
        assert.match(bad.stderr, /no samples to replay/);
    });
});
