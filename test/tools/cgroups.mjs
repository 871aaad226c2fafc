// Real cgroup children for tests (root only). Plain Node ESM, no dependencies.
//
// Works on pure cgroup v2 and on the hybrid layout (memory controller on cgroup v1, cgroup2 mounted
// separately, e.g. at /sys/fs/cgroup/unified). Mounts are found in /proc/self/mountinfo.
//
// Every cgroup is named `headroom-test-<pid>-<name>` (pid = the creating Node process) and is created at
// the root of its hierarchy. The first makeChild() removes stale `headroom-test-*` cgroups whose creator is
// dead, and installs exit/signal handlers that remove this process's cgroups. A SIGKILLed runner leaves them
// behind until the next run (or `node test/tools/cgroups.mjs --clean`).

import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PREFIX = 'headroom-test-';

const live = new Set(); // handles not yet removed

function sleepSync(ms) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function readMountinfo() {
    const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    return fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((line) => {
        const [left, right] = line.split(' - ');
        const f = left.split(' ');
        const [fstype, , superOpts] = right.split(' ');
        return { root: unescape(f[3]), mount: unescape(f[4]), fstype, superOpts: superOpts.split(',') };
    });
}

/** Mount point of the cgroup2 hierarchy, or null. */
export function findCgroup2Mount() {
    return readMountinfo().find((m) => m.fstype === 'cgroup2')?.mount ?? null;
}

/** Where the memory controller lives: {version: 1|2, mount}, or null if nowhere. */
export function findMemoryController() {
    const mounts = readMountinfo();
    const v1 = mounts.find((m) => m.fstype === 'cgroup' && m.superOpts.includes('memory'));
    if (v1) return { version: 1, mount: v1.mount };
    const v2 = mounts.find((m) => m.fstype === 'cgroup2');
    if (v2 && readOr(path.join(v2.mount, 'cgroup.controllers'), '').split(/\s+/).includes('memory'))
        return { version: 2, mount: v2.mount };
    return null;
}

function readOr(file, fallback) {
    try {
        return fs.readFileSync(file, 'utf8');
    } catch {
        return fallback;
    }
}

/** Parses `some …`/`full …` PSI text into {some: {avg10, avg60, avg300, total}, full: {…}}. */
export function parsePressure(text) {
    const out = {};
    for (const line of text.trim().split('\n')) {
        const [kind, ...kv] = line.split(' ');
        out[kind] = Object.fromEntries(kv.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
    }
    return out;
}

/** Parses flat-keyed files (`cgroup.events`, `memory.events`, v1 `memory.oom_control`) into {key: number}. */
export function parseKeyed(text) {
    return Object.fromEntries(text.trim().split('\n').filter(Boolean).map((l) => l.split(/\s+/))
        .map(([k, v]) => [k, Number(v)]));
}

function pidAlive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return e.code === 'EPERM';
    }
}

/** Kills everything in a cgroup2 dir, waits for `populated 0` (sync), rmdirs. Used for stale cgroups and exit. */
function destroySync(v2Path, v1Path, timeoutMs = 5000) {
    if (v2Path && fs.existsSync(v2Path)) {
        killProcs(v2Path);
        const end = Date.now() + timeoutMs;
        while (readOr(path.join(v2Path, 'cgroup.events'), 'populated 0').match(/populated 1/) && Date.now() < end) {
            sleepSync(10);
            killProcs(v2Path);
        }
        rmdirRetrySync(v2Path, end);
    }
    if (v1Path && fs.existsSync(v1Path)) {
        killProcs(v1Path);
        rmdirRetrySync(v1Path, Date.now() + timeoutMs);
    }
}

function killProcs(dir) {
    try {
        fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
        return;
    } catch { /* v1, or kernel < 5.14: signal one by one */ }
    for (const pid of readOr(path.join(dir, 'cgroup.procs'), '').split('\n').filter(Boolean)) {
        try {
            process.kill(Number(pid), 'SIGKILL');
        } catch { /* gone */ }
    }
}

function rmdirRetrySync(dir, end) {
    for (;;) {
        try {
            fs.rmdirSync(dir);
            return;
        } catch (e) {
            if (e.code === 'ENOENT') return;
            if (e.code !== 'EBUSY' || Date.now() > end) throw e;
            sleepSync(10);
        }
    }
}

function parents() {
    const v2 = findCgroup2Mount();
    const mem = findMemoryController();
    return { v2, v1mem: mem?.version === 1 ? mem.mount : null };
}

/** Removes `headroom-test-<pid>-*` cgroups whose creating process is gone (or all of them with {all: true}). */
export function cleanStale({ all = false } = {}) {
    const removed = [];
    const { v2, v1mem } = parents();
    for (const parent of [v2, v1mem].filter(Boolean)) {
        for (const name of fs.readdirSync(parent)) {
            const m = name.match(/^headroom-test-(\d+)-/);
            if (!m) continue;
            const pid = Number(m[1]);
            if (!all && (pid === process.pid || pidAlive(pid))) continue;
            destroySync(parent === v2 ? path.join(parent, name) : null, parent === v1mem ? path.join(parent, name) : null);
            removed.push(path.join(parent, name));
        }
    }
    return removed;
}

let installed = false;
function installCleanup() {
    if (installed) return;
    installed = true;
    process.on('exit', () => removeAllSync());
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
        process.on(sig, function onSignal() {
            removeAllSync();
            // If nobody else handles the signal, behave like the default action (exit 128+n).
            if (process.listenerCount(sig) === 1) process.exit(128 + os.constants.signals[sig]);
        });
    }
}

/** Synchronously kills and removes every cgroup this process created and has not removed yet. */
export function removeAllSync() {
    for (const h of [...live]) {
        try {
            h.removeSync();
        } catch (e) {
            process.stderr.write(`headroom-test cleanup: ${h.v2Path}: ${e.message}\n`);
        }
    }
}

/**
 * Creates `headroom-test-<pid>-<name>` in cgroup2 and, on the hybrid layout, a v1 memory cgroup of the same
 * name. Root only.
 */
export function makeChild(name) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad cgroup name ${name}`);
    const { v2, v1mem } = parents();
    if (!v2) throw new Error('no cgroup2 mount in /proc/self/mountinfo');
    if (!installed) {
        cleanStale();
        installCleanup();
    }
    const full = `${PREFIX}${process.pid}-${name}`;
    const v2Path = path.join(v2, full);
    const v1MemoryPath = v1mem ? path.join(v1mem, full) : null;
    const memV2 = findMemoryController()?.version === 2;
    if (memV2) {
        const ctl = path.join(v2, 'cgroup.subtree_control');
        if (!fs.readFileSync(ctl, 'utf8').split(/\s+/).includes('memory')) fs.writeFileSync(ctl, '+memory');
    }
    fs.mkdirSync(v2Path);
    try {
        if (v1MemoryPath) fs.mkdirSync(v1MemoryPath);
    } catch (e) {
        fs.rmdirSync(v2Path);
        throw e;
    }

    const f = (file) => path.join(v2Path, file);
    const write = (file, value) => fs.writeFileSync(file, String(value));

    async function waitEvents(pred, what, timeoutMs = 5000) {
        const end = Date.now() + timeoutMs;
        for (;;) {
            const ev = parseKeyed(fs.readFileSync(f('cgroup.events'), 'utf8'));
            if (pred(ev)) return ev;
            if (Date.now() > end) throw new Error(`${v2Path}: timed out waiting for ${what}`);
            await sleep(10);
        }
    }

    const handle = {
        name: full,
        v2Path,
        v1MemoryPath,
        /** Memory limit (no swap): v1 memory.limit_in_bytes (+memsw), or v2 memory.max + memory.swap.max=0. */
        setMemoryLimit(bytes) {
            if (v1MemoryPath) {
                const m = (x) => path.join(v1MemoryPath, x);
                write(m('memory.swappiness'), 0);
                if (!fs.existsSync(m('memory.memsw.limit_in_bytes'))) return write(m('memory.limit_in_bytes'), bytes);
                // memsw must stay >= limit: order the two writes by direction.
                const cur = Number(fs.readFileSync(m('memory.limit_in_bytes'), 'utf8'));
                const order = bytes < cur ? ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']
                    : ['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes'];
                for (const x of order) write(m(x), bytes);
            } else if (memV2) {
                write(f('memory.max'), bytes);
                if (fs.existsSync(f('memory.swap.max'))) write(f('memory.swap.max'), 0);
            } else {
                throw new Error('no memory controller');
            }
        },
        /** Moves a process (all its threads) into the child (both hierarchies). */
        addPid(pid) {
            write(f('cgroup.procs'), pid);
            if (v1MemoryPath) write(path.join(v1MemoryPath, 'cgroup.procs'), pid);
        },
        /**
         * spawn() whose process is inside the child before it execs `cmd` (an `sh` wrapper moves itself first),
         * so nothing it allocates is charged elsewhere.
         */
        spawn(cmd, args = [], options = {}) {
            const targets = [f('cgroup.procs'), v1MemoryPath && path.join(v1MemoryPath, 'cgroup.procs')]
                .filter(Boolean).map((p) => `echo $$ > '${p}' &&`).join(' ');
            return spawn('/bin/sh', ['-c', `${targets} exec "$@"`, 'sh', cmd, ...args], options);
        },
        /** Writes cgroup.freeze=1 and resolves once cgroup.events says `frozen 1`. */
        async freeze() {
            write(f('cgroup.freeze'), 1);
            return waitEvents((e) => e.frozen === 1, 'frozen 1');
        },
        async thaw() {
            write(f('cgroup.freeze'), 0);
            return waitEvents((e) => e.frozen === 0, 'frozen 0');
        },
        /** cgroup.kill (SIGKILL to all, also frozen ones), resolves at `populated 0`. */
        async kill() {
            killProcs(v2Path);
            return waitEvents((e) => e.populated === 0, 'populated 0');
        },
        /** Kill, wait for `populated 0`, rmdir both hierarchies. Idempotent. */
        async remove() {
            if (!live.has(handle)) return;
            if (fs.existsSync(v2Path)) await handle.kill();
            handle.removeSync();
        },
        removeSync() {
            destroySync(v2Path, v1MemoryPath);
            live.delete(handle);
        },
        read: (file) => fs.readFileSync(file.includes('/') ? file : f(file), 'utf8'),
        pressure: () => parsePressure(fs.readFileSync(f('memory.pressure'), 'utf8')),
        events: () => parseKeyed(fs.readFileSync(f('cgroup.events'), 'utf8')),
        /** OOM kills so far: v1 memory.oom_control `oom_kill`, or v2 memory.events `oom_kill`. */
        oomKills() {
            const file = v1MemoryPath ? path.join(v1MemoryPath, 'memory.oom_control') : f('memory.events');
            return parseKeyed(readOr(file, '')).oom_kill ?? 0;
        },
        /** Bytes charged: v1 memory.usage_in_bytes or v2 memory.current. */
        memoryCurrent() {
            const file = v1MemoryPath ? path.join(v1MemoryPath, 'memory.usage_in_bytes') : f('memory.current');
            return Number(readOr(file, 'NaN'));
        },
    };
    live.add(handle);
    return handle;
}

// `node test/tools/cgroups.mjs [--clean [--all]]`: print layout / remove leftovers.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
    if (process.argv.includes('--clean')) {
        for (const p of cleanStale({ all: process.argv.includes('--all') })) console.log(`removed ${p}`);
    } else {
        console.log(JSON.stringify({ cgroup2: findCgroup2Mount(), memory: findMemoryController() }));
    }
}
