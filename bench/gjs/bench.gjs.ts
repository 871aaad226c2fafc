// Headroom's benchmarks that run under gjs (bundled by bench/run.ts, one process per measurement):
//
//   gjs -m bench.gjs.js MODE JSON_OPTIONS      → one JSON line on stdout: {"result": …}
//
//   tick      PressureSampler + PressureEngine on the tree's monitored slices: main-thread CPU per sample
//   scan      InventoryService's scans + buildInventory against the peers' /proc walk, same tree, alternating
//   block     a 10 ms repeating timeout's lateness while nothing / Headroom / the peers' walk runs
//   memory    PressureEngine for a simulated day (or the sampler for a number of real samples)
//   leadtime  the replay's lead-time table for the standard synthetic traces
//
// Main-thread CPU time is the main thread's own run time from /proc/thread-self/schedstat (nanoseconds;
// user + kernel; GIO's worker threads, which do the file reads, are not in it). The kernel updates that
// counter when the thread sleeps or at a scheduler tick, not when it is read, so every reading is taken
// right after the main loop has slept (a 1 ms timeout), and each figure is reported above the same
// measurement around no work at all (the "empty" baseline: timer dispatch, promise resumption, the
// counter read itself). What remains is what the work costs the thread that, in GNOME Shell, also draws
// the screen: JavaScript, GLib dispatch of the completions, and the system calls they make. It is an
// upper bound of the JavaScript time alone.

import GLib from 'gi://GLib';
import System from 'system';

import type { CgroupEntry } from '../../src/core/cgroup-entry.js';
import { PressureEngine, type CgroupReading, type Sample } from '../../src/core/engine.js';
import { buildInventory, detailPaths } from '../../src/core/inventory.js';
import { parseKeyValues } from '../../src/core/keyvalue.js';
import { DEFAULT_LEVEL_SETTINGS } from '../../src/core/level.js';
import type { OomdPolicy } from '../../src/core/oomd.js';
import { parsePsi } from '../../src/core/psi.js';
import { commonParent, SETTLE_SEC } from '../../src/core/quiet.js';
import { calcLoad, formatLeadTimeTable, leadTimeTable, showAvg } from '../../src/core/traces.js';
import { listChildren, PseudoFile, readText } from '../../src/sys/files.js';
import { PressureSampler } from '../../src/sys/sampler.js';
import { InventoryService, type InventoryScan } from '../../src/sys/inventory.js';
import { Semaphore } from '../../src/core/semaphore.js';

const MANAGER = '/user.slice/user-1000.slice/user@1000.service';
const POLICY: OomdPolicy = { limitPercent: 80, durationSec: 20 };

interface Options {
    cgroupRoot: string;
    procRoot: string;
    slices: string[];
    ticks: number;
    scans: number;
    seconds: number;
    /** The phase at the extension's own cadence (scans every 3 s). */
    cadenceSeconds: number;
    days: number;
    samples: number;
    /** Untimed rounds before measuring. */
    warmup: number;
}

const decoder = new TextDecoder();

function readProcText(path: string): string {
    const [, bytes] = GLib.file_get_contents(path);
    return decoder.decode(bytes);
}

/** The main thread's run time in µs, as last accounted by the kernel. */
function threadCpuUs(): number {
    return Number(readProcText('/proc/thread-self/schedstat').split(' ')[0]) / 1000;
}

function now(): number {
    return GLib.get_monotonic_time();
}

function sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            resolve();
            return GLib.SOURCE_REMOVE;
        });
    });
}

/** The main thread's user and kernel time in clock ticks (1/100 s), from /proc/thread-self/stat. */
function threadTicks(): [number, number] {
    const text = readProcText('/proc/thread-self/stat');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return [Number(fields[11]), Number(fields[12])];
}

interface Cost {
    cpuUs: number;
    wallUs: number;
    userTicks: number;
    sysTicks: number;
}

/** Main-thread CPU and wall time of `work`, both readings taken right after the main loop slept. */
async function measure(work: () => Promise<unknown>): Promise<Cost> {
    await sleep(1);
    const [u0, s0] = threadTicks();
    const c0 = threadCpuUs();
    const w0 = now();
    await work();
    const wallUs = now() - w0;
    await sleep(1);
    const c1 = threadCpuUs();
    const [u1, s1] = threadTicks();
    return { cpuUs: c1 - c0, wallUs, userTicks: u1 - u0, sysTicks: s1 - s0 };
}

function quantile(xs: readonly number[], q: number): number {
    const s = [...xs].sort((a, b) => a - b);
    if (s.length === 0)
        return NaN;
    const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
    return s[i] as number;
}

const median = (xs: readonly number[]) => quantile(xs, 0.5);
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function summary(costs: readonly Cost[], baseline: readonly Cost[]) {
    const base = median(baseline.map(c => c.cpuUs));
    const cpu = costs.map(c => c.cpuUs - base);
    const user = costs.reduce((sum, c) => sum + c.userTicks, 0);
    const sys = costs.reduce((sum, c) => sum + c.sysTicks, 0);
    return {
        n: costs.length,
        cpuMedianMs: round(median(cpu) / 1000, 4),
        cpuP90Ms: round(quantile(cpu, 0.9) / 1000, 4),
        cpuMaxMs: round(Math.max(...cpu) / 1000, 4),
        wallMedianMs: round(median(costs.map(c => c.wallUs)) / 1000, 3),
        wallP90Ms: round(quantile(costs.map(c => c.wallUs), 0.9) / 1000, 3),
        emptyBaselineMs: round(base / 1000, 4),
        /** Share of the main thread's time in user mode (JS, GJS, GLib) rather than the kernel; tick-sampled. */
        userShare: user + sys > 0 ? round(user / (user + sys), 2) : null,
        userSysTicks: [user, sys],
    };
}

// ---- the two approaches to "who holds the memory" --------------------------------------------------

/**
 * Headroom: the extension's InventoryService, which decides what a scan reads (the whole tree or only the
 * files of the cgroups it knows; everything while `active` — menu open or pressure up — or only sizes
 * otherwise). While active, buildInventory runs on each scan, as the extension's onScan does before
 * drawing rows. Podman is not installed here (its one failed spawn happens during the warm-up).
 */
const INVENTORY_OPTIONS = { topN: 5, transcoders: ['ffmpeg'], containerNames: new Map<string, string>() };

class HeadroomInventory {
    private readonly _service: InventoryService;
    private _done: (() => void) | null = null;
    private _lastTime = NaN;
    entries: CgroupEntry[] = [];
    apps = 0;

    /**
     * `menu`: the menu is open, pressure low (memory.stat of the shown rows); `pressing`: pressure is up
     * (every candidate's memory.stat, for oomd's rule); `idle`: nobody looks (sizes only).
     */
    constructor(o: Options, private readonly _mode: 'menu' | 'pressing' | 'idle') {
        const options = INVENTORY_OPTIONS;
        this._service = new InventoryService({
            root: o.cgroupRoot, procRoot: o.procRoot, managerPath: MANAGER, podman: () => 'headroom-bench-no-podman',
            statFor: entries => (_mode === 'pressing' ? 'all' : _mode === 'menu' ? detailPaths(entries, MANAGER, options) : new Set()),
            rotate: () => _mode === 'menu',
            activeIntervalSec: () => 3600, idleIntervalSec: () => 3600,
            // The shown rows' files stay open between scans, as the service does on a real cgroup2 file
            // system (this tree is on tmpfs, where it would not by itself; the files are never replaced).
            keepFilesOpen: true,
            onScan: (scan: InventoryScan) => {
                // The service shows the last scan again when podman's names arrive: not a new scan.
                const fresh = scan.time !== this._lastTime;
                this._lastTime = scan.time;
                this.entries = scan.entries;
                if (this._mode !== 'idle') {
                    const inv = buildInventory(scan.entries, MANAGER, options);
                    this.apps = inv.apps.length + inv.moreApps;
                }
                if (fresh)
                    this._done?.();
            },
            onError: e => printerr(`inventory: ${String(e)}`),
        });
    }

    /** The first scan: the whole tree is listed. */
    start(): Promise<void> {
        return new Promise(resolve => {
            this._done = resolve;
            if (this._mode !== 'idle')
                this._service.active = true; // scans at once
            else
                this._service.start();
        });
    }

    scan(): Promise<void> {
        return new Promise(resolve => {
            this._done = resolve;
            this._service.scanNow();
        });
    }

    stop(): void {
        this._service.stop();
    }
}

/**
 * The peers' approach (TopHat, Astra Monitor, Resources): list /proc, and for every process read its
 * memory figure (status: VmRSS, or smaps_rollup: Pss) with Gio's async reads, plus /proc/<pid>/cgroup to
 * know its app, and sum per app. At most 16 reads in flight, as Headroom's scanner.
 */
async function peersWalk(o: Options, file: 'status' | 'smaps_rollup'): Promise<{ processes: number; apps: number }> {
    const listing = await listChildren(o.procRoot, 'standard::name,standard::type', null);
    if (!listing.ok)
        throw new Error(listing.error.message);
    const pids = listing.value.map(i => i.get_name()).filter(n => /^\d+$/.test(n));
    const field = file === 'status' ? /^VmRSS:\s+(\d+) kB/m : /^Pss:\s+(\d+) kB/m;
    const limit = new Semaphore(16);
    const perApp = new Map<string, number>();
    let counted = 0;
    await Promise.all(pids.map(pid => limit.run(async () => {
        const [mem, cgroup] = await Promise.all([
            readText(`${o.procRoot}/${pid}/${file}`, null),
            readText(`${o.procRoot}/${pid}/cgroup`, null),
        ]);
        if (!mem.ok || !cgroup.ok)
            return;
        const kb = field.exec(mem.value)?.[1];
        const unit = cgroup.value.trim().split('/').find(p => /\.(scope|service)$/.test(p) && !p.startsWith('user@'));
        if (kb === undefined || unit === undefined)
            return;
        counted++;
        perApp.set(unit, (perApp.get(unit) ?? 0) + Number(kb) * 1024);
    })));
    return { processes: counted, apps: perApp.size };
}

// ---- 1. pressure tick -------------------------------------------------------------------------------

/** Full-stall trace for the app slice: calm, a climb to 95 %, calm again; recomputed as the kernel does. */
function* psiTrace(): Generator<{ avg10: number; total: number }> {
    let avg = 0;
    let total = 0;
    for (let t = 0; ; t++) {
        const phase = t % 240;
        const pct = phase >= 40 && phase < 120 ? 95 : phase % 17 === 0 ? 20 : 0;
        total += pct * 10_000;
        if (t % 2 === 0)
            avg = calcLoad(avg, 1677, Math.min(100, pct) * 2048);
        yield { avg10: showAvg(avg), total };
    }
}

function psiFile(full: { avg10: number; total: number }): string {
    const some = Math.min(100, full.avg10 * 1.3);
    return `some avg10=${some.toFixed(2)} avg60=${(some * 0.8).toFixed(2)} avg300=${(some * 0.5).toFixed(2)} total=${full.total * 2}\n` +
        `full avg10=${full.avg10.toFixed(2)} avg60=${(full.avg10 * 0.8).toFixed(2)} avg300=${(full.avg10 * 0.5).toFixed(2)} total=${full.total}\n`;
}

// What-ifs for the tick (not Headroom's code): the same engine fed from fewer files, or from sync reads.
type SliceFile = 'memory.pressure' | 'memory.stat' | 'memory.events';

function readingOf(path: string, texts: Partial<Record<SliceFile, string | null>>): CgroupReading {
    const pressure = texts['memory.pressure'];
    const stat = texts['memory.stat'] ? parseKeyValues(texts['memory.stat']) : null;
    const events = texts['memory.events'] ? parseKeyValues(texts['memory.events']) : null;
    return {
        path, policy: POLICY,
        psi: pressure ? parsePsi(pressure) : { ok: false, error: { code: 'missing', message: 'unreadable' } },
        pgscan: stat?.ok ? stat.value.get('pgscan') ?? null : null,
        oomKills: events?.ok ? events.value.get('oom_kill') ?? null : null,
    };
}

async function whatIfTick(o: Options, engine: PressureEngine, files: readonly SliceFile[], sync: boolean): Promise<void> {
    const read = (file: string): Promise<string | null> => {
        if (!sync)
            return readText(file, null).then(r => (r.ok ? r.value : null));
        try {
            return Promise.resolve(decoder.decode(GLib.file_get_contents(file)[1]));
        } catch {
            return Promise.resolve(null);
        }
    };
    const time = now() / 1e6;
    const readings = await Promise.all(o.slices.map(async path => {
        const texts = await Promise.all(files.map(f => read(`${o.cgroupRoot}${path}/${f}`)));
        return readingOf(path, Object.fromEntries(files.map((f, i) => [f, texts[i] ?? null])));
    }));
    engine.update({ time, readings }, null);
}

async function benchTick(o: Options) {
    const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
    let done: (() => void) | null = null;
    let last: Sample | null = null;
    let reused = 0;
    const levels = new Map<string, number>();
    const sampler = new PressureSampler({
        root: o.cgroupRoot, uid: 1000, cgroups: o.slices, policyFor: () => POLICY, intervalMs: 3_600_000,
        // As on cgroup2 (this tree is on tmpfs, so the sampler is told to): the files stay open, and the
        // slices' parent is read first; the trace below writes the parent's file as the kernel would.
        keepFilesOpen: true, readParentFirst: true,
        onSample: (sample, reason) => {
            const snapshot = engine.update(sample, reason);
            levels.set(snapshot.level, (levels.get(snapshot.level) ?? 0) + 1);
            // A reading that went out again (the parent showed no stall) holds the same object as before.
            const before = last?.readings;
            if (before && sample.readings.every((r, i) => r.psi.ok && before[i]?.psi.ok && r.psi.value === before[i].psi.value))
                reused++;
            last = sample;
            done?.();
        },
        onError: e => printerr(`sampler: ${String(e)}`),
    });
    const tick = () => new Promise<void>(resolve => {
        done = resolve;
        sampler.sampleNow();
    });
    const parent = commonParent(o.slices) ?? '';
    const pressureFile = `${o.cgroupRoot}${o.slices[0] ?? ''}/memory.pressure`;
    const parentFile = `${o.cgroupRoot}${parent}/memory.pressure`;
    // Rewritten in place, as the kernel's files are (never replaced). A stall in the app slice is one in
    // its parent too (PSI is hierarchical), so the parent's file follows the slice's.
    const write = (file: string, text: string) => GLib.file_set_contents_full(file, text, GLib.FileSetContentsFlags.NONE, 0o644);
    let trace = psiTrace();
    const stall = () => {
        const text = psiFile(trace.next().value as { avg10: number; total: number });
        write(pressureFile, text);
        write(parentFile, text);
    };
    /** The app slice calm again (its average decayed to 0.00), as is the usual state of a desktop. */
    const calm = () => {
        write(pressureFile, psiFile({ avg10: 0, total: 5_000_000 }));
        write(parentFile, psiFile({ avg10: 0, total: 5_000_000 }));
        trace = psiTrace();
    };
    const pressureOnly = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
    const syncEngine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
    const syncFiles: SliceFile[] = ['memory.pressure', 'memory.stat'];
    const whatIfs = () => Promise.all([whatIfTick(o, pressureOnly, ['memory.pressure'], false), whatIfTick(o, syncEngine, syncFiles, true)]);

    calm();
    sampler.start();
    await sleep(100); // the first sample, from start()
    // Warm-up of both kinds of tick: JIT tiers (GNOME Shell has run the code for hours), GIO's thread pool.
    const half = Math.floor(o.warmup / 2);
    for (let i = 0; i < o.warmup; i++) {
        if (i === half) {
            // The slices read at 0.00 and the parent seen quiet, then quiet for longer than the sampler waits
            // before their readings stand.
            calm();
            await tick();
            await tick();
            await sleep(SETTLE_SEC * 1000 + 500);
        }
        if (i < half)
            stall();
        await tick();
        await whatIfs();
    }
    const calmCosts: Cost[] = [];
    const oneRead: Cost[] = [];
    const stallCosts: Cost[] = [];
    const baseline: Cost[] = [];
    const pressureOnlyCosts: Cost[] = [];
    const syncCosts: Cost[] = [];
    // Calm ticks, then ticks through the stall trace's first 120 s (bursts, then the climb to 95 %). In the
    // shell a tick comes after a second of rest, its code and data out of the caches: every measurement,
    // the empty baseline too, comes after 20 ms of rest, so that the baseline's own wake-up is not counted
    // as the tick's.
    const rested = async (work: () => Promise<unknown>) => {
        await sleep(20);
        return measure(work);
    };
    const lone = new PseudoFile(parentFile);
    reused = 0;
    // The informational rows (one read alone, the what-ifs) at every other tick: half the samples, and
    // seconds off `make bench`.
    for (let i = 0; i < o.ticks; i++) {
        calmCosts.push(await rested(tick));
        baseline.push(await rested(() => Promise.resolve()));
        if (i % 2 === 0)
            oneRead.push(await rested(() => new Promise<void>(r => lone.readThen(null, () => r()))));
    }
    lone.close();
    const calmReused = reused;
    for (let i = 0; i < o.ticks; i++) {
        stall();
        stallCosts.push(await rested(tick));
        baseline.push(await rested(() => Promise.resolve()));
        if (i % 2 === 0) {
            pressureOnlyCosts.push(await rested(() => whatIfTick(o, pressureOnly, ['memory.pressure'], false)));
            syncCosts.push(await rested(() => whatIfTick(o, syncEngine, syncFiles, true)));
        }
    }
    sampler.stop();
    return {
        slices: o.slices.length, warmup: o.warmup, ...summary(calmCosts, baseline),
        calmReused, oneRead: summary(oneRead, baseline),
        stalling: summary(stallCosts, baseline),
        levels: Object.fromEntries(levels),
        whatIf: {
            pressureOnlyAsync: { files: o.slices.length, ...summary(pressureOnlyCosts, baseline) },
            pressureAndStatSync: { files: o.slices.length * 2, ...summary(syncCosts, baseline) },
        },
    };
}

// ---- 2. inventory scan vs. the peers' walk ----------------------------------------------------------

async function benchScan(o: Options) {
    const runs = {
        headroom: [] as Cost[],
        idle: [] as Cost[],
        first: [] as Cost[],
        status: [] as Cost[],
        smaps: [] as Cost[],
        empty: [] as Cost[],
        build: [] as Cost[],
        pressing: [] as Cost[],
    };
    let status = { processes: 0, apps: 0 };
    let smaps = { processes: 0, apps: 0 };
    const inventory = new HeadroomInventory(o, 'menu');
    await inventory.start();
    const idle = new HeadroomInventory(o, 'idle');
    await idle.start();
    const pressing = new HeadroomInventory(o, 'pressing');
    await pressing.start();
    const entries = inventory.entries;
    const inventoryOf = () => buildInventory(entries, MANAGER, { topN: 5, transcoders: ['ffmpeg'], containerNames: new Map() });
    const coldBuild = await measure(() => Promise.resolve(inventoryOf()));
    // Warm-up (JIT, GIO's threads, the page cache of the tree), then alternate so all see the same machine.
    for (let i = 0; i < o.warmup; i++) {
        await inventory.scan();
        await idle.scan();
        await pressing.scan();
        await peersWalk(o, 'status');
    }
    for (let i = 0; i < o.scans; i++) {
        System.gc();
        runs.headroom.push(await measure(() => inventory.scan()));
        System.gc();
        runs.idle.push(await measure(() => idle.scan()));
        System.gc();
        runs.pressing.push(await measure(() => pressing.scan()));
        // The first scan of a fresh service and the smaps_rollup walk, in three rounds at most (time).
        if (i < 3) {
            System.gc();
            const fresh = new HeadroomInventory(o, 'menu');
            runs.first.push(await measure(() => fresh.start()));
            fresh.stop();
        }
        System.gc();
        runs.status.push(await measure(async () => (status = await peersWalk(o, 'status'))));
        if (i < 3) {
            System.gc();
            runs.smaps.push(await measure(async () => (smaps = await peersWalk(o, 'smaps_rollup'))));
        }
        runs.empty.push(await measure(() => Promise.resolve()));
        System.gc();
        runs.build.push(await measure(() => Promise.resolve(inventoryOf())));
    }
    inventory.stop();
    idle.stop();
    pressing.stop();
    const h = summary(runs.headroom, runs.empty);
    const s = summary(runs.status, runs.empty);
    const p = summary(runs.smaps, runs.empty);
    return {
        warmup: o.warmup,
        headroom: { ...h, cgroups: inventory.entries.length, apps: inventory.apps },
        idleScan: summary(runs.idle, runs.empty),
        pressingScan: summary(runs.pressing, runs.empty),
        firstScan: summary(runs.first, runs.empty),
        peersStatus: { ...s, ...status },
        peersSmaps: { ...p, ...smaps },
        cpuRatioStatus: round(s.cpuMedianMs / h.cpuMedianMs, 1),
        cpuRatioSmaps: round(p.cpuMedianMs / h.cpuMedianMs, 1),
        wallRatioStatus: round(s.wallMedianMs / h.wallMedianMs, 1),
        wallRatioSmaps: round(p.wallMedianMs / h.wallMedianMs, 1),
        buildInventory: { coldMs: round((coldBuild.cpuUs - median(runs.empty.map(c => c.cpuUs))) / 1000, 2), ...summary(runs.build, runs.empty) },
    };
}

// ---- 3. main-loop blocking --------------------------------------------------------------------------

/** The main thread's run time and run-queue wait (time runnable but not given a CPU), µs. */
function threadSched(): [number, number] {
    const [run = 0, wait = 0] = readProcText('/proc/thread-self/schedstat').split(' ').map(Number);
    return [run / 1000, wait / 1000];
}

/**
 * A 10 ms repeating timeout notes how late each firing is: GLib sets the next expiry from the time of
 * the main-loop iteration that dispatched the previous one, so lateness = now − (that time + 10 ms).
 * Each firing also reads the main thread's schedstat, so the worst gap can be told apart: the thread
 * running (work holding the main loop) or waiting for a CPU (other processes, or its own GIO workers, on
 * a busy machine). "Held" is the lateness the thread's own running explains: min(lateness, run time in
 * the gap); it does not depend on how busy the machine is (within a scheduler tick of accounting).
 */
async function lateness(seconds: number, load: (until: number) => Promise<number>) {
    // Each phase pays for its own garbage, not for what the phase before it (or the setup) left.
    System.gc();
    await sleep(500);
    const gcBefore = gcCounts();
    const late: number[] = [];
    const held: number[] = [];
    let worst = { lateUs: -1, runUs: 0, waitUs: 0 };
    let last = 0;
    let lastSched: [number, number] = [0, 0];
    const id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
        const t = now();
        const sched = threadSched();
        if (last !== 0) {
            const l = Math.max(0, t - (last + 10_000));
            const run = sched[0] - lastSched[0];
            late.push(l);
            held.push(Math.min(l, run));
            if (l > worst.lateUs)
                worst = { lateUs: l, runUs: run, waitUs: sched[1] - lastSched[1] };
        }
        // (Not GLib.main_current_source(): its JS wrapper of the running source, collected later, made
        // gjs 1.74 report the timeout's callback as running during garbage collection.)
        last = t;
        lastSched = sched;
        return GLib.SOURCE_CONTINUE;
    });
    const until = now() + seconds * 1e6;
    const rounds = await load(until);
    while (now() < until)
        await sleep(20);
    GLib.source_remove(id);
    const gcAfter = gcCounts();
    return {
        firings: late.length,
        rounds,
        majorGCs: gcAfter.majorGCCount - gcBefore.majorGCCount,
        minorGCs: gcAfter.minorGCCount - gcBefore.minorGCCount,
        worstMs: round(Math.max(...late) / 1000, 2),
        p99Ms: round(quantile(late, 0.99) / 1000, 2),
        medianMs: round(median(late) / 1000, 3),
        worstGap: { runMs: round(worst.runUs / 1000, 1), waitMs: round(worst.waitUs / 1000, 1) },
        heldWorstMs: round(Math.max(...held) / 1000, 2),
        heldP99Ms: round(quantile(held, 0.99) / 1000, 2),
    };
}

async function benchBlock(o: Options) {
    const ticking = () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        const sampler = new PressureSampler({
            root: o.cgroupRoot, uid: 1000, cgroups: o.slices, policyFor: () => POLICY, intervalMs: 1000,
            keepFilesOpen: true, readParentFirst: true, // as on cgroup2 (the tree is on tmpfs)
            onSample: (sample, reason) => engine.update(sample, reason),
        });
        sampler.start();
        return sampler;
    };
    /** Runs `work` again and again, starting one every `everyMs` (0: back to back), with the sampler ticking. */
    const loop = (work: () => Promise<unknown>, everyMs = 0) => async (until: number) => {
        const sampler = ticking();
        let rounds = 0;
        while (now() < until) {
            const started = now();
            await work();
            rounds++;
            const rest = everyMs - (now() - started) / 1000;
            if (rest > 0)
                await sleep(Math.min(rest, Math.max(1, (until - now()) / 1000)));
        }
        sampler.stop();
        return rounds;
    };
    const inventory = new HeadroomInventory(o, 'menu');
    await inventory.start();
    await peersWalk(o, 'status');
    const result = {
        idle: await lateness(o.seconds, () => Promise.resolve(0)),
        // What the menu being open costs: the extension's own cadence (a scan every 3 s, a sample a second).
        headroom: await lateness(o.cadenceSeconds, loop(() => inventory.scan(), 3000)),
        backToBack: await lateness(o.seconds, loop(() => inventory.scan())),
        peers: await lateness(o.seconds, loop(() => peersWalk(o, 'status'))),
    };
    inventory.stop();
    return result;
}

// ---- 5. memory over a day ---------------------------------------------------------------------------

interface GcInfo {
    gcBytes: number;
    mallocBytes: number;
    majorGCCount: number;
    minorGCCount: number;
}

/** SpiderMonkey's own figures, through System.dumpMemoryInfo (a JSON block in a file). */
function gcInfo(): GcInfo {
    const path = `${GLib.get_tmp_dir()}/headroom-bench-mem-${GLib.uuid_string_random()}.txt`;
    System.dumpMemoryInfo(path);
    const text = readProcText(path);
    GLib.unlink(path);
    return JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as GcInfo;
}

function gcCounts(): { majorGCCount: number; minorGCCount: number } {
    const { majorGCCount, minorGCCount } = gcInfo();
    return { majorGCCount, minorGCCount };
}

function memoryNow(): { rssKb: number; heapBytes: number; mallocBytes: number } {
    System.gc();
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(readProcText('/proc/self/status'))?.[1];
    const info = gcInfo();
    return { rssKb: Number(rss), heapBytes: info.gcBytes, mallocBytes: info.mallocBytes };
}

function growth(before: ReturnType<typeof memoryNow>, after: ReturnType<typeof memoryNow>) {
    return {
        before, after,
        rssGrowthKb: after.rssKb - before.rssKb,
        heapGrowthBytes: after.heapBytes - before.heapBytes,
        mallocGrowthBytes: after.mallocBytes - before.mallocBytes,
    };
}

/** The engine fed a simulated day: four slices, the app slice stalling for 80 s out of every 4 min. */
function benchMemory(o: Options) {
    const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
    const trace = psiTrace();
    const ticks = Math.round(o.days * 86_400);
    const levels = new Map<string, number>();
    const feed = (t: number) => {
        const full = trace.next().value as { avg10: number; total: number };
        const readings: CgroupReading[] = o.slices.map((path, i) => ({
            path, policy: POLICY, pgscan: i === 0 ? Math.floor(full.total / 50) : 1000, oomKills: 0,
            psi: {
                ok: true,
                value: {
                    some: { avg10: i === 0 ? full.avg10 : 0.5, avg60: 0, avg300: 0, total: i === 0 ? full.total * 2 : t * 10 },
                    full: { avg10: i === 0 ? full.avg10 : 0.2, avg60: 0, avg300: 0, total: i === 0 ? full.total : t * 5 },
                },
            },
        }));
        const sample: Sample = { time: t, readings };
        const s = engine.update(sample, null);
        if (s.level === 'red' && t % 600 === 0)
            engine.noteAction(t);
        levels.set(s.level, (levels.get(s.level) ?? 0) + 1);
    };
    let t = 0;
    // Warm-up: JIT tiers, and SpiderMonkey's nursery, which grows to its working size (~16 MB) under this
    // allocation rate and stays resident; in GNOME Shell it is already at that size.
    for (; t < o.warmup; t++)
        feed(t);
    const before = memoryNow();
    // RSS after a forced GC at every eighth of the run: a leak shows as a trend, a high-water mark does not.
    const checkpoints: number[] = [];
    const w0 = now();
    for (let i = 1; i <= ticks; i++, t++) {
        feed(t);
        if (i % Math.ceil(ticks / 8) === 0)
            checkpoints.push(memoryNow().rssKb);
    }
    const wallMs = (now() - w0) / 1000;
    return {
        ticks, warmup: o.warmup, wallMs: round(wallMs, 1), ...growth(before, memoryNow()), rssCheckpointsKb: checkpoints,
        levels: Object.fromEntries(levels),
    };
}

/** The real sampler (async reads of the tree's files) and the engine, `samples` samples back to back. */
async function benchSamplerMemory(o: Options) {
    const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
    let done: (() => void) | null = null;
    const sampler = new PressureSampler({
        root: o.cgroupRoot, uid: 1000, cgroups: o.slices, policyFor: () => POLICY, intervalMs: 3_600_000, keepFilesOpen: true,
        onSample: (sample, reason) => {
            engine.update(sample, reason);
            done?.();
        },
    });
    const tick = () => new Promise<void>(resolve => {
        done = resolve;
        sampler.sampleNow();
    });
    sampler.start();
    await sleep(100);
    for (let i = 0; i < o.warmup; i++)
        await tick();
    const before = memoryNow();
    const checkpoints: number[] = [];
    const w0 = now();
    for (let i = 1; i <= o.samples; i++) {
        await tick();
        if (i % Math.ceil(o.samples / 8) === 0)
            checkpoints.push(memoryNow().rssKb);
    }
    const wallMs = (now() - w0) / 1000;
    const after = memoryNow();
    sampler.stop();
    return { samples: o.samples, warmup: o.warmup, wallMs: round(wallMs, 1), ...growth(before, after), rssCheckpointsKb: checkpoints };
}

// ---- 4. lead time -----------------------------------------------------------------------------------

function benchLeadTime() {
    const rows = leadTimeTable();
    return { rows, text: formatLeadTimeTable(rows) };
}

// ---- main -------------------------------------------------------------------------------------------

const [mode = '', json = '{}'] = ARGV;
const options = JSON.parse(json) as Options;
const modes: Record<string, (o: Options) => unknown> = {
    tick: benchTick, scan: benchScan, block: benchBlock, memory: benchMemory, 'sampler-memory': benchSamplerMemory,
    leadtime: benchLeadTime,
};
const bench = modes[mode];
if (!bench) {
    printerr(`usage: gjs -m bench.gjs.js ${Object.keys(modes).join('|')} JSON_OPTIONS`);
    System.exit(2);
}
const mainLoop = new GLib.MainLoop(null, false);
let exitCode = 0;
void (async () => {
    try {
        const result = await bench?.(options);
        print(JSON.stringify({ result }));
    } catch (e) {
        printerr(`${mode}: ${String(e)}\n${(e as Error).stack ?? ''}`);
        exitCode = 1;
    }
    mainLoop.quit();
})();
mainLoop.run();
System.exit(exitCode);
