// Benchmark 6: gnome-shell's own CPU time inside a real GNOME Shell 48 (the e2e rootfs, test/e2e/), in
// shells side by side: Headroom disabled, enabled with its menu closed, enabled with the menu open, and
// enabled with the menu closed on a calm cgroup2 tree. The sessions run in their own work folder
// (HEADROOM_BENCH_E2E_WORK, default /var/tmp/headroom-bench), so they never touch a session of the e2e
// tests running at the same time. Needs root (see test/e2e/README.md).
//
// CPU time is read from the host: utime + stime of each whole gnome-shell process (/proc/PID/stat, all
// threads, 1/100 s ticks) and its main thread's run time (/proc/PID/task/PID/schedstat, ns). Nothing talks
// to a shell during the window: the harness is called only before and after it (to count painted frames).

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { GnomeShellSession } from '../test/e2e/lib.js';
import { findCgroup2Mount } from '../test/tools/cgroups.mjs';

const REPO = resolve(import.meta.dirname, '..');
const SEED = join(REPO, 'test', 'fixtures', 'seed');
const MANAGER = 'user.slice/user-1000.slice/user@1000.service';
/** The user manager's slices Headroom watches: calm in the seed's copy, made for real in the cgroupfs tree. */
const SLICES = ['app.slice', 'session.slice', 'background.slice', 'user.slice'];
const CALM_PSI = 'some avg10=0.80 avg60=0.50 avg300=0.20 total=412345\nfull avg10=0.30 avg60=0.20 avg300=0.10 total=198765\n';

export interface ShellWindow {
    /** Whole process (all threads), ms of CPU per second of wall time. */
    processMsPerSec: number;
    /** The main thread (the one that runs JavaScript and draws), ms of CPU per second. */
    mainMsPerSec: number;
    /** Frames the stage painted per second (its after-paint signal), or null if it could not be counted. */
    framesPerSec: number | null;
    /** A 10 ms timeout inside the shell: how late its firings were (main-loop blocking), or null. */
    lateness: {
        firings: number; worstMs: number; p99Ms: number;
        /** Firings later than a 60 Hz frame (16.7 ms), and the shell's garbage collections in the window. */
        overFrame: number; majorGCs: number; minorGCs: number;
    } | null;
    seconds: number;
}

export interface ShellResult {
    gnomeShell: string;
    windowSec: number;
    closed: ShellWindow;
    disabled: ShellWindow;
    open: ShellWindow;
    /** Enabled, menu closed, on a calm cgroup2 tree (cgroupTree()); or why it did not run. */
    cgroupfs: { ok: true; value: ShellWindow } | { ok: false; reason: string };
    /** How long the shells took to start, one after the other. */
    startSec: number;
    /** Wait after the shells started (Headroom enabled from the start) before the menu opens and the window. */
    settleSec: number;
}

export type ShellOutcome = { ok: true; value: ShellResult } | { ok: false; reason: string };

function cpuOf(pid: number): { processTicks: number; mainNs: number } {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const sched = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8');
    return { processTicks: Number(fields[11]) + Number(fields[12]), mainNs: Number(sched.split(' ')[0]) };
}

const sleep = (ms: number) => new Promise(res => setTimeout(res, ms));

type Eval = (js: string) => unknown;

// Frames painted, and a 10 ms timeout at the shell's default priority noting how late each firing is
// (GLib sets the next expiry from the iteration that dispatched the last one): the main-loop blocking
// benchmark 3 measures in gjs, here inside GNOME Shell with everything else it does.
const COUNT_FRAMES = `(() => {
    const stage = global.stage;
    const old = globalThis.__headroomBench;
    if (old) { stage.disconnect(old.id); GLib.source_remove(old.timer); }
    const gcs = () => {
        const path = GLib.get_tmp_dir() + '/headroom-bench-gc-' + GLib.uuid_string_random() + '.json';
        imports.system.dumpMemoryInfo(path);
        const [, bytes] = GLib.file_get_contents(path);
        GLib.unlink(path);
        const text = new TextDecoder().decode(bytes);
        const info = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
        return { major: info.majorGCCount, minor: info.minorGCCount };
    };
    const counter = { frames: 0, id: 0, timer: 0, last: 0, late: [], gcs, gcAtStart: gcs() };
    counter.id = stage.connect('after-paint', () => { counter.frames++; });
    counter.timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
        const t = GLib.get_monotonic_time();
        if (counter.last !== 0) counter.late.push(Math.max(0, t - counter.last - 10000));
        counter.last = t;
        return GLib.SOURCE_CONTINUE;
    });
    globalThis.__headroomBench = counter;
    return true;
})()`;
const FRAMES_COUNTED = `(() => {
    const counter = globalThis.__headroomBench;
    global.stage.disconnect(counter.id);
    GLib.source_remove(counter.timer);
    globalThis.__headroomBench = null;
    const late = counter.late.sort((a, b) => a - b);
    const at = q => late.length === 0 ? 0 : late[Math.min(late.length - 1, Math.ceil(q * late.length) - 1)] / 1000;
    const gc = counter.gcs();
    return JSON.stringify({ frames: counter.frames, firings: late.length, worstMs: at(1), p99Ms: at(0.99),
        overFrame: late.filter(l => l > 16667).length,
        majorGCs: gc.major - counter.gcAtStart.major, minorGCs: gc.minor - counter.gcAtStart.minor });
})()`;

/** CPU per second of gnome-shell over `seconds`; the shell is called only before and after. */
async function window(pid: number, seconds: number, evaluate: Eval): Promise<ShellWindow> {
    let counting = true;
    try {
        evaluate(COUNT_FRAMES);
    } catch {
        counting = false;
    }
    const a = cpuOf(pid);
    const t0 = process.hrtime.bigint();
    await sleep(seconds * 1000);
    const b = cpuOf(pid);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const counted = counting ? evaluate(FRAMES_COUNTED) : null;
    const probe = typeof counted === 'string'
        ? JSON.parse(counted) as { frames: number; firings: number; worstMs: number; p99Ms: number; overFrame: number; majorGCs: number; minorGCs: number }
        : null;
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
        processMsPerSec: round(((b.processTicks - a.processTicks) * 10) / wall),
        mainMsPerSec: round((b.mainNs - a.mainNs) / 1e6 / wall),
        framesPerSec: probe ? round(probe.frames / wall) : null,
        lateness: probe
            ? { firings: probe.firings, worstMs: round(probe.worstMs), p99Ms: round(probe.p99Ms), overFrame: probe.overFrame, majorGCs: probe.majorGCs, minorGCs: probe.minorGCs }
            : null,
        seconds: round(wall),
    };
}

export type RootfsOutcome = { ok: true; root: string } | { ok: false; reason: string };

/**
 * The e2e rootfs in the benchmarks' own work folder (HEADROOM_BENCH_E2E_WORK, default
 * /var/tmp/headroom-bench), built or restored by test/e2e/rootfs.sh (a no-op when current). `smoke`: only
 * if it is there or cached (no cold build). Needs root.
 */
export function prepareRootfs(opts: { smoke: boolean; log: (s: string) => void }): RootfsOutcome {
    if (process.getuid?.() !== 0)
        return { ok: false, reason: 'needs root (mount and PID namespaces, chroot): run `sudo make bench`' };
    const work = process.env.HEADROOM_BENCH_E2E_WORK ?? '/var/tmp/headroom-bench';
    process.env.HEADROOM_E2E_WORK = work;
    const suite = process.env.HEADROOM_E2E_SUITE ?? 'trixie';
    const root = join(work, suite);
    if (opts.smoke) {
        const cache = process.env.HEADROOM_E2E_CACHE ?? '/var/cache/headroom-e2e';
        const cached = existsSync(cache) && readdirSync(cache).some(f => f.startsWith(`${suite}-`) && f.endsWith('.tar.zst'));
        if (!cached && !existsSync(join(root, 'usr', 'bin', 'gnome-shell')))
            return { ok: false, reason: 'no e2e rootfs built or cached yet (make test-e2e or make bench builds it)' };
    }
    opts.log(`rootfs in ${work} (test/e2e/rootfs.sh: no-op when current, restore from cache, or a cold build)`);
    const built = spawnSync('bash', [join(REPO, 'test', 'e2e', 'rootfs.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (built.status !== 0)
        return { ok: false, reason: `rootfs.sh failed: ${built.stderr.trim().split('\n').slice(-5).join(' | ')}` };
    return { ok: true, root };
}

/** One of the shells: its session, the gnome-shell process. */
interface Side {
    shell: GnomeShellSession;
    pid: number;
    evaluate: Eval;
}

/**
 * A calm cgroupfs tree for the fourth shell: the user manager and its four slices made as real, empty
 * cgroups on this machine's cgroup2 hierarchy, so that Headroom samples them as on a desktop (cgroup2: files
 * kept open, the slices' parent read first). A reason instead when there is no cgroup2 to write to.
 */
function cgroupTree(): { dir: string; remove: () => void } | { reason: string } {
    const mount = findCgroup2Mount();
    if (mount === null)
        return { reason: 'no cgroup2 hierarchy on this machine' };
    const dir = join(mount, `headroom-bench-${process.pid}`);
    const slices = SLICES.map(slice => join(dir, MANAGER, slice));
    try {
        for (const slice of slices)
            mkdirSync(slice, { recursive: true });
    } catch (e) {
        return { reason: `cannot make cgroups under ${mount}: ${String(e)}` };
    }
    // memory.stat and memory.events exist where the memory controller reaches the slices: on pure cgroup2
    // when the hierarchy's root hands it down (the root itself is left as it is). On a hybrid layout it is
    // on cgroup v1 and those reads fail, as they would on such a desktop.
    const parts = MANAGER.split('/');
    const inner = [dir, ...parts.map((_, i) => join(dir, ...parts.slice(0, i + 1)))];
    for (const parent of inner) {
        try {
            if (readFileSync(join(parent, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory'))
                writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory');
        } catch {
            // The controller stays off below: those reads fail, as on a hybrid layout.
        }
    }
    // Deepest first; a cgroup that cannot be removed is left behind and named, not thrown over the results.
    const dirs = [...slices, ...[...inner].reverse()];
    const remove = () => {
        for (const d of dirs) {
            try {
                rmdirSync(d);
            } catch (e) {
                process.stderr.write(`bench: could not remove the cgroup ${d}: ${String(e)}\n`);
            }
        }
    };
    return { dir, remove };
}

/**
 * Runs the windows at the same time, in shells side by side (sessions of their own on a rootfs from
 * prepareRootfs()): Headroom disabled in one, enabled with the menu closed in another, open in the third,
 * all three on a calm copy of the seed; and, in a fourth, enabled with the menu closed on a calm cgroup2 tree
 * (cgroupTree()), which the seed's regular files cannot stand for: there the sampler opens and reads every
 * slice's file each second, as off cgroup2. Side by side rather than one after the other, they share the
 * machine's noise of the same 60 s, and the benchmark takes one window instead of three (`make bench`
 * stays about 3 minutes). The shells are nearly idle (15–40 ms of CPU per second each on 2 CPUs), so they
 * hardly compete with each other; each one's CPU time is its own process's.
 */
export async function benchShell(opts: { windowSec: number; smoke: boolean; zip: string; log: (s: string) => void }): Promise<ShellOutcome> {
    if (!existsSync(opts.zip))
        return { ok: false, reason: `${opts.zip} missing (make pack)` };

    // Loaded after HEADROOM_E2E_WORK is set: lib.ts reads it through shell.sh.
    const { GnomeShellSession: Session, HEADROOM_UUID } = await import('../test/e2e/lib.js');
    const uuid = JSON.stringify(HEADROOM_UUID);
    // The shells start one after the other (all four at once took no less: 15 s against 14), Headroom enabled
    // from the start in three of them. The window begins `settle.start` after the last one started, when the
    // shells' start-up work and Headroom's own (first scan, oomd discovery, the journal) are behind them, and
    // `settle.open` after the menu opened.
    const settle = opts.smoke ? { start: 1000, open: 300 } : { start: 20_000, open: 3000 };
    const started: GnomeShellSession[] = [];
    const mounted: string[] = [];
    const tree = cgroupTree();
    const t0 = Date.now();

    /** Starts a shell with Headroom installed (enabled or not) reading `cgroupRoot` (a path in the share). */
    const start = (name: string, enabled: boolean,
        prepare: (shell: GnomeShellSession) => { cgroupRoot: string; procRoot: string }): Side => {
        // Sessions of their own (state folder and home), named after this run, so that two runs (make
        // bench, and the smoke run in someone's make test) never stop each other's shells.
        const shell = new Session(`bench-${process.pid}-${name}`);
        const { cgroupRoot, procRoot } = prepare(shell);
        shell.start({
            install: [opts.zip],
            enable: enabled ? [HEADROOM_UUID] : [],
            settings: `[org/gnome/shell/extensions/headroom]\ncgroup-root='${cgroupRoot}'\nproc-root='${procRoot}'\n`,
        });
        started.push(shell);
        return { shell, pid: shellPid(shell.paths.stateDir), evaluate: js => shell.eval(js) };
    };
    const onSeed = (shell: GnomeShellSession) => {
        const seed = shell.hostPath('seed');
        rmSync(seed, { recursive: true, force: true });
        cpSync(SEED, seed, { recursive: true });
        // A calm desktop: the seed's app.slice is at 62 % (amber), which keeps the inventory scanning.
        for (const slice of SLICES)
            writeFileSync(join(seed, MANAGER, slice, 'memory.pressure'), CALM_PSI);
        spawnSync('chmod', ['-R', 'a+rX', seed]);
        return { cgroupRoot: shell.sessionPath('seed'), procRoot: shell.sessionPath('seed', 'proc') };
    };
    const onCgroupfs = (dir: string) => (shell: GnomeShellSession) => {
        // Bind-mounted into the shared folder before the session starts, which binds it (recursively).
        const at = shell.hostPath('cgroup');
        mkdirSync(at, { recursive: true });
        const bound = spawnSync('mount', ['--bind', dir, at], { encoding: 'utf8' });
        if (bound.status !== 0)
            throw new Error(`mount --bind ${dir}: ${bound.stderr.trim()}`);
        mounted.push(at);
        return { cgroupRoot: shell.sessionPath('cgroup'), procRoot: '/proc' };
    };
    try {
        const disabledSide = start('disabled', false, onSeed);
        const closedSide = start('closed', true, onSeed);
        const openSide = start('open', true, onSeed);
        const cgroupfsSide = 'dir' in tree ? start('cgroupfs', true, onCgroupfs(tree.dir)) : null;
        const allStarted = Date.now();
        const startSec = (allStarted - t0) / 1000;
        const version = disabledSide.shell.execOk(['gnome-shell', '--version']).trim();
        for (const side of [closedSide, openSide, cgroupfsSide])
            await side?.shell.waitForExtensionActive(HEADROOM_UUID, 20_000);

        await sleep(Math.max(0, settle.start - (Date.now() - allStarted)));
        const isOpen = openSide.evaluate(`(() => { const b = Main.panel.statusArea[${uuid}]; b.menu.open(); return b.menu.isOpen; })()`);
        if (isOpen !== true)
            throw new Error('the menu did not open');
        await sleep(settle.open);
        opts.log(`${started.length} shells side by side: Headroom disabled, enabled with the menu closed, open` +
            `${cgroupfsSide ? ', closed on cgroupfs' : ''} (${opts.windowSec} s)`);
        const windows = await Promise.all([disabledSide, closedSide, openSide, cgroupfsSide]
            .map(side => (side ? window(side.pid, opts.windowSec, side.evaluate) : Promise.resolve(null))));
        const [disabled, closed, open, cgroupfs] = windows as [ShellWindow, ShellWindow, ShellWindow, ShellWindow | null];
        if (openSide.evaluate(`Main.panel.statusArea[${uuid}].menu.isOpen`) !== true)
            throw new Error('the menu closed during the window');
        openSide.evaluate(`Main.panel.statusArea[${uuid}].menu.close()`);
        return {
            ok: true,
            value: {
                gnomeShell: version, windowSec: opts.windowSec, closed, disabled, open, startSec,
                cgroupfs: cgroupfs === null ? { ok: false, reason: 'reason' in tree ? tree.reason : 'not run' } : { ok: true, value: cgroupfs },
                settleSec: settle.start / 1000,
            },
        };
    } finally {
        for (const shell of started)
            shell.stop();
        for (const at of mounted)
            spawnSync('umount', [at]);
        for (const shell of started)
            removeState(shell.paths.stateDir);
        if ('dir' in tree)
            tree.remove();
    }
}

/** The gnome-shell process of a session: the child of its namespace's unshare. */
function shellPid(stateDir: string): number {
    const unshare = Number(readFileSync(join(stateDir, 'unshare.pid'), 'utf8').trim());
    const pid = Number(readFileSync(`/proc/${unshare}/task/${unshare}/children`, 'utf8').trim().split(/\s+/)[0]);
    if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('gnome-shell'))
        throw new Error(`pid ${pid} is not gnome-shell`);
    return pid;
}

/** The session's state folder (log, share, home), once nothing is mounted below it. */
function removeState(dir: string): void {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    if (!mounts.split('\n').some(line => line.split(' ')[4]?.startsWith(`${dir}/`)))
        rmSync(dir, { recursive: true, force: true });
}
