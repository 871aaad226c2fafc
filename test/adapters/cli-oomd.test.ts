// `cli.js --oomd` under real gjs: a private bus stands in for the system bus, with test/dbus/fake-oomd.js
// serving the dump a real systemd-oomd 257.13 gave (test/fixtures/oomd/oomd-dump-257-real.txt, from
// test/vm). No session bus: the CLI must still answer from oomd's report.

import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = 'dist/cli.js';
const DUMP = resolve('test/fixtures/oomd/oomd-dump-257-real.txt');
const APP = '/user.slice/user-1000.slice/user@1000.service/app.slice';
const VICTIM = `${APP}/app-gnome-hog-433.scope`;

const children: ChildProcess[] = [];
const temps: string[] = [];

function tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    temps.push(dir);
    return dir;
}

/** Starts a program; resolves with it and its first line of output. */
function start(program: string, args: string[], env: NodeJS.ProcessEnv = process.env):
    Promise<{ child: ChildProcess; first: string; lines: string[] }> {
    return new Promise((done, reject) => {
        const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
        children.push(child);
        const lines: string[] = [];
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error(`${program} did not start:\n${err}`)), 20000);
        child.stdout?.setEncoding('utf8');
        child.stderr?.on('data', (c: Buffer) => {
            err += c.toString();
        });
        child.stdout?.on('data', (chunk: string) => {
            out += chunk;
            let newline: number;
            while ((newline = out.indexOf('\n')) >= 0) {
                lines.push(out.slice(0, newline));
                out = out.slice(newline + 1);
                if (lines.length === 1) {
                    clearTimeout(timer);
                    done({ child, first: lines[0] as string, lines });
                }
            }
        });
        child.on('exit', code => {
            clearTimeout(timer);
            reject(new Error(`${program} exited with ${code}:\n${err}`));
        });
    });
}

function cli(args: string[], env: NodeJS.ProcessEnv) {
    return new Promise<{ status: number | null; stdout: string; stderr: string }>(done => {
        const child = spawn('gjs', ['-m', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
        children.push(child);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => {
            stdout += c.toString();
        });
        child.stderr.on('data', (c: Buffer) => {
            stderr += c.toString();
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
        child.on('close', status => {
            clearTimeout(timer);
            done({ status, stdout, stderr });
        });
    });
}

async function until(test: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (test())
            return true;
        await new Promise(r => setTimeout(r, 50));
    }
    return test();
}

describe('cli.js --oomd under gjs (stand-in oomd serving a real 257.13 dump)', function () {
    let env: NodeJS.ProcessEnv = {};
    let systemBus = '';

    before(async function () {
        const dir = tempDir('headroom-cli-bus-');
        const bus = await start('dbus-daemon', ['--config-file=test/dbus/bus.conf', `--address=unix:dir=${dir}`,
            '--nofork', '--nopidfile', '--print-address=1']);
        systemBus = bus.first.trim();
        const oomd = await start('gjs', ['-m', 'test/dbus/fake-oomd.js', systemBus, DUMP]);
        assert.equal(oomd.first, 'ready');
        env = {
            PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tempDir('headroom-cli-tmp-'),
            DBUS_SYSTEM_BUS_ADDRESS: systemBus,
            // A session bus that does not exist: the CLI answers from oomd's report alone.
            DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-such-bus')}`,
        };
    });

    after(async function () {
        for (const child of [...children].reverse()) {
            if (child.exitCode === null && child.signalCode === null) {
                child.kill('SIGTERM');
                await until(() => child.exitCode !== null || child.signalCode !== null, 3000);
                if (child.exitCode === null && child.signalCode === null)
                    child.kill('SIGKILL');
            }
        }
        for (const dir of temps)
            rmSync(dir, { recursive: true, force: true });
    });

    it('prints where the limits came from and each watched cgroup', async function () {
        const r = await cli(['--oomd'], env);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout,
            "Limits from systemd-oomd's own report (org.freedesktop.oom1 DumpByFileDescriptor)\n" +
            'Defaults: 60% for 20 s; swap used limit 90%; dry run: no\n' +
            'Watched for memory pressure:\n' +
            '  /system.slice: above 80% for 20 s\n' +
            `  ${APP}: above 80% for 20 s\n`);
    });

    it('--json gives the discovery as one object', async function () {
        const r = await cli(['--oomd', '--json'], env);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), {
            oomd: {
                source: 'oomd-dump',
                monitored: [
                    { path: '/system.slice', policy: { limitPercent: 80, durationSec: 20 } },
                    { path: APP, policy: { limitPercent: 80, durationSec: 20 } },
                ],
                defaults: { limitPercent: 60, durationSec: 20 },
                swapUsedLimitPercent: 90,
                dryRun: false,
                notes: [],
            },
        });
    });

    it('with oomd gone: says so, exit 1', async function () {
        const r = await cli(['--oomd'], { ...env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${join(tmpdir(), 'headroom-no-bus')}` });
        assert.equal(r.status, 1);
        assert.match(r.stdout, /^systemd-oomd: .*\(no-system-bus\)\n$/);
    });

    it('--watch --json prints the discovery, samples with a time, and each Killed signal', async function () {
        const root = tempDir('headroom-cli-root-'); // no cgroups: samples say why, the watcher still listens
        const watch = await start('gjs', ['-m', CLI, '--oomd', '--watch', '--json', '--root', root], env);
        assert.equal((JSON.parse(watch.first) as { oomd: { source: string } }).oomd.source, 'oomd-dump');
        // The Killed subscription is made right after the discovery; give it a moment, then send.
        await new Promise(r => setTimeout(r, 1000));
        execFileSync('gdbus', ['call', '--address', systemBus, '--dest', 'org.headroom.Test.FakeOomd',
            '--object-path', '/org/headroom/Test', '--method', 'org.headroom.Test.FakeOomd.EmitKilled',
            VICTIM, 'memory-pressure']);
        const killed = () => watch.lines.find(l => l.includes('"killed"'));
        assert.ok(await until(() => killed() !== undefined, 10000), `no kill line in:\n${watch.lines.join('\n')}`);
        const line = JSON.parse(killed() as string) as { killed: unknown; time: number };
        assert.deepEqual(line.killed, { cgroup: VICTIM, reason: 'memory-pressure' });
        assert.ok(Math.abs(line.time - Date.now()) < 60000);
        const sample = watch.lines.map(l => JSON.parse(l) as Record<string, unknown>).find(o => 'level' in o);
        assert.ok(sample, 'no sample line');
        assert.equal(typeof sample.time, 'number');
    });
});
