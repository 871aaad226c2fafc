// Runs the GJS-side oomd adapter tests (test/gjs/oomd.gjs.ts, then test/gjs/restart.gjs.ts) against
// private message buses and reports each result as a mocha test.
//
// Three dbus-daemons (test/dbus/bus.conf), each on a socket in its own temporary directory:
//   system  test/dbus/fake-oomd.js (org.freedesktop.oom1) + fake-systemd.js with units-system.json
//   user    fake-systemd.js with units-user.json (the user's systemd manager)
//   lonely  nothing on it (a bus where neither oomd nor systemd answers)
// plus test/dbus/fake-journalctl first on PATH. Everything started here is stopped here, also when a
// step fails; the daemons' sockets go with their directories.

import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

interface GjsResult { name: string; ok: boolean; error?: string }

const dbusDir = resolve('test/dbus');
const fixtures = resolve('test/fixtures/oomd');
const children: ChildProcess[] = [];
const temps: string[] = [];

function alive(child: ChildProcess): boolean {
    return child.exitCode === null && child.signalCode === null;
}

// Last resort if mocha exits while something still runs.
process.on('exit', () => {
    for (const child of children) {
        if (alive(child))
            child.kill('SIGKILL');
    }
});

function tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    temps.push(dir);
    return dir;
}

/** Starts a program and resolves with the first line it prints (its address, or "ready"). */
function startUntilLine(program: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
    return new Promise((resolvePromise, reject) => {
        const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
        children.push(child);
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error(`${program} ${args.join(' ')} did not start:\n${err}`)), 15000);
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
            err += chunk;
        });
        child.stdout.on('data', (chunk: string) => {
            out += chunk;
            const newline = out.indexOf('\n');
            if (newline >= 0) {
                clearTimeout(timer);
                resolvePromise(out.slice(0, newline).trim());
            }
        });
        child.on('error', error => {
            clearTimeout(timer);
            reject(error);
        });
        child.on('exit', code => {
            clearTimeout(timer);
            reject(new Error(`${program} exited with ${code}:\n${err}`));
        });
    });
}

async function startBus(): Promise<string> {
    const dir = tempDir('headroom-bus-');
    return startUntilLine('dbus-daemon', [`--config-file=${dbusDir}/bus.conf`, `--address=unix:dir=${dir}`,
        '--nofork', '--nopidfile', '--print-address=1']);
}

async function startService(script: string, address: string, arg: string): Promise<void> {
    const line = await startUntilLine('gjs', ['-m', `${dbusDir}/${script}`, address, arg]);
    assert.equal(line, 'ready', `${script} said ${line}`);
}

function runGjs(bundle: string, env: Record<string, string>): Promise<{ results: GjsResult[]; stderr: string; status: number | null }> {
    return new Promise(resolvePromise => {
        const child = spawn('gjs', ['-m', bundle], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
        children.push(child);
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stdout.on('data', (c: string) => {
            stdout += c;
        });
        child.stderr.on('data', (c: string) => {
            stderr += c;
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 180000);
        child.on('close', status => {
            clearTimeout(timer);
            const results = stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as GjsResult);
            resolvePromise({ results, stderr, status });
        });
    });
}

async function stopAll(): Promise<void> {
    // Services first, then their buses (the services would also leave when their bus goes).
    for (const child of [...children].reverse()) {
        if (!alive(child))
            continue;
        const exited = new Promise<void>(done => child.once('exit', () => done()));
        child.kill('SIGTERM');
        const timeout = new Promise<void>(done => setTimeout(done, 3000));
        await Promise.race([exited, timeout]);
        if (alive(child))
            child.kill('SIGKILL');
    }
    for (const dir of temps)
        rmSync(dir, { recursive: true, force: true });
}

let outcome: { results: GjsResult[]; stderr: string; status: number | null } | null = null;
let restart: { results: GjsResult[]; stderr: string; status: number | null } | null = null;
let setupError: unknown = null;
let leftRunning: number[] = [];

try {
    execFileSync('node', ['test/gjs/build.mjs'], { stdio: 'inherit' });
    const [systemBus, userBus, lonelyBus] = await Promise.all([startBus(), startBus(), startBus()]);
    await Promise.all([
        startService('fake-oomd.js', systemBus, `${fixtures}/fedora42-v257.dump`),
        startService('fake-systemd.js', systemBus, `${dbusDir}/units-system.json`),
        startService('fake-systemd.js', userBus, `${dbusDir}/units-user.json`),
    ]);

    const bin = tempDir('headroom-bin-');
    symlinkSync(`${dbusDir}/fake-journalctl`, join(bin, 'journalctl'));
    const env = {
        TMPDIR: tempDir('headroom-oomd-tmp-'), // the bundle's temporary trees, removed with it
        HEADROOM_SYSTEM_BUS: systemBus,
        HEADROOM_USER_BUS: userBus,
        HEADROOM_LONELY_BUS: lonelyBus,
        // Nothing in the bundle should reach for the real buses; if it did, it would find these.
        DBUS_SYSTEM_BUS_ADDRESS: systemBus,
        DBUS_SESSION_BUS_ADDRESS: userBus,
        HEADROOM_OOMD_FIXTURES: fixtures,
        HEADROOM_DBUS_DIR: dbusDir,
        FAKE_JOURNALCTL_ARGV: join(bin, 'argv'),
        PATH: `${bin}:${process.env.PATH ?? ''}`,
    };
    outcome = await runGjs('dist-test/oomd.gjs.js', env);
    // src/sys/restart.ts on the same buses, after the oomd tests (each changes the stand-ins' units).
    restart = await runGjs('dist-test/restart.gjs.js', env);
} catch (error) {
    setupError = error;
} finally {
    await stopAll();
    leftRunning = children.filter(alive).map(c => c.pid ?? -1);
}

describe('src/sys/oomd under gjs (private D-Bus, stand-in oomd and systemd, fake journalctl)', function () {
    it('the private buses and stand-in services started, and the gjs bundle ran to the end', function () {
        if (setupError) {
            const text = setupError instanceof Error ? setupError.message : JSON.stringify(setupError);
            assert.fail(text.includes('ENOENT')
                ? `${text}\n(dbus-daemon and gjs are needed: apt-get install dbus-daemon gjs)`
                : text);
        }
        assert.ok(outcome, 'no outcome');
        assert.equal(outcome.status, 0, outcome.stderr);
        assert.ok(outcome.results.length >= 30, `only ${outcome.results.length} results; stderr:\n${outcome.stderr}`);
    });
    it('nothing started for the tests is left running', function () {
        assert.deepEqual(leftRunning, []);
    });
    it('no 64-bit value was unpacked into a lossy JS number (no GJS precision warning)', function () {
        assert.ok(outcome, 'no outcome');
        assert.doesNotMatch(outcome.stderr, /cannot be safely stored in a JS Number/);
    });
    for (const result of outcome?.results ?? []) {
        it(result.name, function () {
            if (!result.ok)
                assert.fail(result.error);
        });
    }
});

describe('src/sys/restart under gjs (the same buses, stand-in systemd managers)', function () {
    it('the gjs bundle ran to the end', function () {
        assert.ok(restart, 'no outcome (see the setup test above)');
        assert.equal(restart.status, 0, restart.stderr);
        assert.equal(restart.results.length, 7, `results; stderr:\n${restart.stderr}`);
    });
    for (const result of restart?.results ?? []) {
        it(result.name, function () {
            if (!result.ok)
                assert.fail(result.error);
        });
    }
});
