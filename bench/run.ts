// Headroom's benchmarks (`make bench`; `make test-bench-smoke` runs them at tiny sizes, untimed).
//
//   npx tsx bench/run.ts [--smoke] [--no-shell]
//
// Prints one table (measurement | value | budget | met?) with the machine it ran on, and writes it to
// bench/results.md (a smoke run writes bench/out/results-smoke.md instead). All figures come from this one
// run on this one machine; compare them with each other, not with another machine's. See bench/README.md.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';

import { build } from 'esbuild';

import { gjsBundleOptions } from '../tools/gjs-bundle.mjs';
import { benchShell, prepareRootfs, type RootfsOutcome, type ShellOutcome, type ShellWindow } from './shell.js';
import { writeTree, type Tree } from './tree.js';

const BENCH = import.meta.dirname;
const REPO = resolve(BENCH, '..');
const OUT = join(BENCH, 'out');
const ZIP = join(REPO, 'dist', 'headroom@headroom.github.io.shell-extension.zip');

const smoke = process.argv.includes('--smoke');
/** `--only tick,scan` (or `shell`): run only these, for work on them; writes bench/out/. */
const only = process.argv.includes('--only') ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',') : null;
const withShell = !process.argv.includes('--no-shell') && (only === null || only.includes('shell'));
const hostGjs = process.argv.includes('--host-gjs');

const SIZES = smoke
    ? { leaves: 10, processes: 100, tickWarmup: 5, ticks: 10, scanWarmup: 1, scans: 2, blockSec: 1, cadenceSec: 3, memWarmup: 100, ticksPerDay: 100,
        samplerWarmup: 5, samples: 20, shellWindowSec: 1 }
    : { leaves: 300, processes: 2000, tickWarmup: 200, ticks: 120, scanWarmup: 1, scans: 11, blockSec: 4, cadenceSec: 21, memWarmup: 100_000,
        ticksPerDay: 86_400, samplerWarmup: 300, samples: 600, shellWindowSec: 60 };

const started = Date.now();
const log = (s: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}\n`);

// ---- the machine ------------------------------------------------------------------------------------

function command(cmd: string, args: string[]): string {
    try {
        return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
        return 'unknown';
    }
}

/** The commit, and whether src/ had uncommitted changes (the zip is built from the working tree). */
function source(): string {
    const commit = command('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']);
    const dirty = command('git', ['-C', REPO, 'status', '--porcelain', '--', 'src', 'schemas', 'metadata.json', 'stylesheet.css'])
        .split('\n').filter(l => l.trim() !== '').length;
    return dirty > 0 ? `${commit} with ${dirty} uncommitted change${dirty === 1 ? '' : 's'} in src/ (the zip and bundles are built from the working tree)` : commit;
}

function machine() {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
    const flags = /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.split(' ') ?? [];
    return {
        cpus: os.availableParallelism(),
        model,
        virtual: flags.includes('hypervisor'),
        kernel: os.release(),
        gjs: command('gjs', ['--version']),
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        load: os.loadavg().map(l => l.toFixed(2)).join(' '),
    };
}

/** A tmpfs for the synthetic tree: /dev/shm when it is one, else the temp folder (noted in the results). */
function scratch(): { dir: string; fs: string } {
    const shm = command('stat', ['-f', '-c', '%T', '/dev/shm']);
    const base = shm === 'tmpfs' ? '/dev/shm' : os.tmpdir();
    return { dir: join(base, `headroom-bench-${process.pid}`), fs: shm === 'tmpfs' ? 'tmpfs (/dev/shm)' : `${base} (not tmpfs)` };
}

// ---- gjs ----------------------------------------------------------------------------------------------

async function bundle(): Promise<string> {
    await build({
        entryPoints: [join(BENCH, 'gjs', 'bench.gjs.ts')],
        outdir: OUT,
        ...gjsBundleOptions('firefox102'),
    });
    return join(OUT, 'bench.gjs.js');
}

type Json = Record<string, unknown>;

/**
 * Runs one benchmark in its own gjs process: GNOME Shell's gjs from the e2e rootfs when there is one (as
 * root), else the host's.
 */
function gjs(script: string, mode: string, options: Json, timeoutSec: number, rootfs: string | null): Json {
    const args = [mode, JSON.stringify(options)];
    const r = rootfs !== null
        ? spawnSync('bash', [join(BENCH, 'rootfs-gjs.sh'), rootfs, script, ...args], { encoding: 'utf8', timeout: timeoutSec * 1000 })
        : spawnSync('gjs', ['-m', script, ...args], { encoding: 'utf8', timeout: timeoutSec * 1000 });
    // BENCH_STDERR=1: gjs's stderr as it ran (printerr from a benchmark while looking into a figure).
    if (process.env.BENCH_STDERR)
        process.stderr.write(r.stderr);
    const line = r.stdout.split('\n').find(l => l.startsWith('{"result"'));
    if (r.status !== 0 || !line) {
        // GJS repeats a critical with a stack each time: the distinct messages are enough.
        const messages = [...new Set(r.stderr.split('\n').filter(l => l.trim() !== '' && !/^(#\d|==)/.test(l))
            .map(l => l.replace(/^\(gjs:\d+\): /, '').replace(/\d\d:\d\d:\d\d\.\d+: /, '')))];
        const count = (r.stderr.match(/Gjs-CRITICAL/g) ?? []).length;
        const how = r.signal === 'SIGTERM' ? `no result within ${timeoutSec} s` : `exit ${r.status ?? r.signal}`;
        throw new Error(`gjs ${mode}: ${how}; ${count} GJS criticals; stderr: ${messages.join(' | ').slice(0, 1500)}`);
    }
    return (JSON.parse(line) as { result: Json }).result;
}

// ---- the table ----------------------------------------------------------------------------------------

interface Row {
    id: string;
    what: string;
    value: string;
    budget: string;
    /** null: no budget for this row. */
    met: boolean | null;
    /** The figure itself, for the smoke run's check that every benchmark produced a number. */
    number: number;
}

const rows: Row[] = [];
const notes: string[] = [];
const failures: string[] = [];

function row(id: string, what: string, number: number, unit: string, budget: string, met: boolean | null, digits = 2): void {
    rows.push({ id, what, value: Number.isFinite(number) ? `${number.toFixed(digits)} ${unit}`.trim() : 'n/a', budget, met, number });
}

function table(): string {
    const head = ['#', 'Measurement', 'Value', 'Budget', 'Met?'];
    const body = rows.map(r => [r.id, r.what, r.value, r.budget, r.met === null ? '–' : smoke ? '(smoke)' : r.met ? 'yes' : '**no**']);
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    return [head, head.map(() => '---'), ...body].map(cols => `| ${cols.map(esc).join(' | ')} |`).join('\n');
}

const num = (x: unknown): number => (typeof x === 'number' ? x : NaN);
const get = (o: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Json)[k] : undefined), o);

// ---- the run ------------------------------------------------------------------------------------------

async function main(): Promise<number> {
    const m = machine();
    const where = scratch();
    mkdirSync(OUT, { recursive: true });
    log(`${smoke ? 'smoke run' : 'full run'} on ${m.cpus} × ${m.model}, load ${m.load}`);
    const script = await bundle();
    // The e2e rootfs: GNOME Shell for benchmark 6, and its gjs for 1–5 (the host's may be another version).
    const rootfs: RootfsOutcome = withShell || !hostGjs ? prepareRootfs({ smoke, log }) : { ok: false, reason: 'not asked for' };
    const rootfsGjs = rootfs.ok && !hostGjs ? rootfs.root : null;
    const gjsUsed = rootfsGjs !== null
        ? `${command('chroot', [rootfsGjs, '/usr/bin/gjs', '--version'])} from the e2e rootfs (GNOME Shell's own)`
        : `${m.gjs} on the host${rootfs.ok ? '' : ` (e2e rootfs: ${rootfs.reason})`}`;
    log(`benchmarks 1–5 under ${gjsUsed}`);

    log(`writing a tree of ${SIZES.leaves} leaf cgroups and ${SIZES.processes} processes to ${where.dir}`);
    let tree: Tree | null = null;
    const details: Record<string, Json> = {};
    try {
        tree = writeTree(where.dir, { leaves: SIZES.leaves, processes: SIZES.processes });
        const base = { cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot, slices: tree.slices };
        const step = (key: string, mode: string, options: Json, timeoutSec: number) => {
            if (only && !only.includes(key))
                return;
            log(`${key}…`);
            // gjs 1.74 (Debian 12's, older than any shell Headroom supports) now and then refuses a GIO
            // callback as "run during garbage collection" under the benchmarks' forced GCs and aborts the
            // run; GNOME Shell's gjs 1.82/1.90 never did in the e2e runs. One more try, and the first
            // failure is kept in the report.
            for (let attempt = 1; attempt <= 2; attempt++) {
                try {
                    details[key] = gjs(script, mode, { ...base, ...options }, timeoutSec, rootfsGjs);
                    return;
                } catch (e) {
                    if (attempt === 2 || !String(e).includes('during garbage collection')) {
                        failures.push(`${key}: ${String(e)}`);
                        return;
                    }
                    notes.push(`Note: ${key}'s first attempt was aborted by gjs ("JS callback during garbage collection") and retried.`);
                }
            }
        };
        // Time limits a few times what a step takes here: a step that hangs is reported, not waited for.
        step('tick', 'tick', { ticks: SIZES.ticks, warmup: SIZES.tickWarmup }, 90);
        step('scan', 'scan', { scans: SIZES.scans, warmup: SIZES.scanWarmup }, 120);
        step('block', 'block', { seconds: SIZES.blockSec, cadenceSeconds: SIZES.cadenceSec }, 90);
        step('leadtime', 'leadtime', {}, 60);
        step('memory', 'memory', { days: SIZES.ticksPerDay / 86_400, warmup: SIZES.memWarmup }, 60);
        step('samplerMemory', 'sampler-memory', { samples: SIZES.samples, warmup: SIZES.samplerWarmup }, 60);
    } finally {
        rmSync(where.dir, { recursive: true, force: true });
    }

    let shell: ShellOutcome = { ok: false, reason: 'skipped (--no-shell)' };
    if (withShell && !rootfs.ok) {
        shell = rootfs;
    } else if (withShell) {
        log('gnome-shell in the e2e rootfs…');
        try {
            shell = await benchShell({ windowSec: SIZES.shellWindowSec, smoke, zip: ZIP, log });
        } catch (e) {
            failures.push(`shell: ${String(e)}`);
            shell = { ok: false, reason: `failed: ${String(e).split('\n')[0] ?? ''}` };
        }
    }

    // 1. Pressure tick
    const tick = details.tick;
    const tickMs = num(get(tick, 'cpuMedianMs'));
    const stallMs = num(get(tick, 'stalling', 'cpuMedianMs'));
    const slices = tree?.slices.length ?? 4;
    row('1a', `Pressure tick, ${slices} slices, calm (the usual state: their parent's file shows no stall): main-thread CPU per sample (median)`,
        tickMs, 'ms', '≤ 0.5 ms', tickMs <= 0.5, 3);
    row('1b', `… while a slice stalls (the ${slices} slices read at every sample): main-thread CPU per sample (median)`,
        stallMs, 'ms', '≤ 0.5 ms', stallMs <= 0.5, 3);
    // Row 1a is about ticks that read only the parent: a calm tick that read the slices is a broken benchmark.
    if (tick !== undefined && num(get(tick, 'calmReused')) !== num(get(tick, 'n')))
        failures.push(`tick: only ${num(get(tick, 'calmReused'))} of ${num(get(tick, 'n'))} calm ticks went without reading a slice`);

    // 2. Inventory scan
    const scan = details.scan;
    const scanMs = num(get(scan, 'headroom', 'cpuMedianMs'));
    const peersMs = num(get(scan, 'peersStatus', 'cpuMedianMs'));
    const ratio = num(get(scan, 'cpuRatioStatus'));
    const size = `${tree?.leaves ?? SIZES.leaves} leaves, ${tree?.processes ?? SIZES.processes} processes`;
    row('2a', `Inventory scan, menu open (${size}): main-thread CPU per scan (median)`, scanMs, 'ms', '≤ 15 ms', scanMs <= 15, 1);
    row('2b', '… wall time per scan (median)', num(get(scan, 'headroom', 'wallMedianMs')), 'ms', '–', null, 1);
    row('2c', 'Idle scan (menu closed, pressure low): main-thread CPU (median)', num(get(scan, 'idleScan', 'cpuMedianMs')), 'ms', '–', null, 1);
    row('2c′', 'Scan while pressure is up (every candidate\'s memory.stat, for oomd\'s rule): main-thread CPU (median)',
        num(get(scan, 'pressingScan', 'cpuMedianMs')), 'ms', '–', null, 1);
    row('2d', 'First scan of a fresh InventoryService (lists the whole tree): main-thread CPU (median)',
        num(get(scan, 'firstScan', 'cpuMedianMs')), 'ms', '–', null, 1);
    row('2e', 'Peers\' async /proc walk (status + cgroup per process): main-thread CPU (median)', peersMs, 'ms', '–', null, 1);
    row('2f', 'Peers\' walk ÷ Headroom\'s scan (menu open), main-thread CPU', ratio, '×', '≥ 10×', ratio >= 10, 1);

    // 3. Main-loop blocking
    const block = details.block;
    const worst = num(get(block, 'headroom', 'worstMs'));
    row('3a', '10 ms timer lateness while scans and ticks run (menu open: a scan every 3 s, a sample a second): worst', worst, 'ms', '≤ 5 ms', worst <= 5, 1);
    row('3b', '… 99th percentile', num(get(block, 'headroom', 'p99Ms')), 'ms', '–', null, 1);
    row('3c', '… of it the main thread\'s own running (waits for a CPU left out): worst / p99', num(get(block, 'headroom', 'heldWorstMs')),
        `ms / ${num(get(block, 'headroom', 'heldP99Ms')).toFixed(1)} ms`, '–', null, 1);
    row('3d', '… same timer, nothing else running (machine noise): worst / p99', num(get(block, 'idle', 'worstMs')),
        `ms / ${num(get(block, 'idle', 'p99Ms')).toFixed(1)} ms`, '–', null, 1);
    row('3e', '… scans back to back (harsher than any real use): worst / held worst', num(get(block, 'backToBack', 'worstMs')),
        `ms / ${num(get(block, 'backToBack', 'heldWorstMs')).toFixed(1)} ms`, '–', null, 1);

    // 4. Lead time
    const lead = (get(details.leadtime, 'rows') ?? []) as { trace: string; warnedAt: number | null; predictedKillAt: number | null; leadSec: number | null; warnings: number }[];
    for (const r of lead) {
        if (r.trace.startsWith('sustained')) {
            const ok = r.leadSec !== null && r.leadSec >= 30 && r.warnings === 1;
            rows.push({
                id: '4', what: `Lead time, ${r.trace} full stall: warned ${r.warnedAt ?? '–'} s after onset, kill predicted at ${r.predictedKillAt ?? '–'} s`,
                value: `${r.leadSec ?? '–'} s, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}`, budget: '≥ 30 s, 1 warning', met: ok,
                number: r.leadSec ?? NaN,
            });
        } else {
            const seconds = Number(/(\d+)/.exec(r.trace)?.[1]);
            const allowed = seconds <= 5 ? 0 : 1;
            rows.push({
                id: '4', what: `False alarms, ${r.trace} of 100 % full stall (no kill follows${r.predictedKillAt === null ? '' : ': KILL PREDICTED'})`,
                value: `${r.warnings} warning${r.warnings === 1 ? '' : 's'}`, budget: allowed === 0 ? '0' : '≤ 1 (by design)',
                met: r.warnings <= allowed && r.predictedKillAt === null, number: r.warnings,
            });
        }
    }
    if (lead.length === 0)
        rows.push({ id: '4', what: 'Lead time and false alarms', value: 'n/a', budget: '–', met: false, number: NaN });

    // 5. Memory
    const mem = details.memory;
    const ticks = num(get(mem, 'ticks'));
    const rss = num(get(mem, 'rssGrowthKb')) / 1024;
    const heap = num(get(mem, 'heapGrowthBytes')) / 2 ** 20;
    row('5a', `Engine, ${ticks.toLocaleString('en')} ticks: RSS growth (GC forced at start and end)`, rss, 'MB', '≤ 1 MB', rss <= 1);
    row('5b', '… JS heap growth', heap, 'MB', '≤ 1 MB', heap <= 1, 3);
    // The reading at the start can fall before or after SpiderMonkey's nursery is back at its working size
    // (±2 MB between runs here); a leak shows as a trend over the day, which this row gives.
    const points = (get(mem, 'rssCheckpointsKb') ?? []) as number[];
    const trend = points.length > 1 ? (num(get(mem, 'after', 'rssKb')) - (points[0] as number)) / 1024 : NaN;
    row('5c', '… RSS growth from the first eighth of the day to its end (a leak\'s trend)', trend, 'MB', '–', null);

    // 6. GNOME Shell
    if (shell.ok) {
        const s = shell.value;
        const d = (a: number, b: number) => Math.round((a - b) * 100) / 100;
        row('6a', `gnome-shell CPU (all threads), Headroom disabled (${s.windowSec} s)`, s.disabled.processMsPerSec, 'ms/s', '–', null);
        row('6b', `… Headroom enabled, menu closed (${s.windowSec} s)`, s.closed.processMsPerSec, 'ms/s', '–', null);
        row('6c', `… Headroom enabled, menu open (${s.windowSec} s)`, s.open.processMsPerSec, 'ms/s', '–', null);
        row('6d', 'Difference enabled (menu closed) − disabled', d(s.closed.processMsPerSec, s.disabled.processMsPerSec), 'ms of CPU per s', '–', null);
        row('6e', 'Difference menu open − disabled', d(s.open.processMsPerSec, s.disabled.processMsPerSec), 'ms of CPU per s', '–', null);
        const late = (w: typeof s.open) => (w.lateness ? `${w.lateness.p99Ms} / ${w.lateness.worstMs} ms` : 'n/a');
        rows.push({ id: '6f', what: '10 ms timer lateness inside gnome-shell, p99 / worst: disabled · menu closed · menu open',
            value: `${late(s.disabled)} · ${late(s.closed)} · ${late(s.open)}`, budget: '–', met: null, number: s.open.lateness?.worstMs ?? NaN });
        // The seed's regular files make the sampler open and read every slice each second (its path off
        // cgroup2); the fourth shell samples real, calm cgroups, as on a desktop.
        if (s.cgroupfs.ok) {
            row('6g', `… Headroom enabled, menu closed, on a calm cgroup2 tree (as on a desktop: files kept open, the slices' parent read first) (${s.windowSec} s)`,
                s.cgroupfs.value.processMsPerSec, 'ms/s', '–', null);
            row('6h', 'Difference enabled (menu closed, cgroup2) − disabled', d(s.cgroupfs.value.processMsPerSec, s.disabled.processMsPerSec), 'ms of CPU per s', '–', null);
        } else {
            rows.push({ id: '6g', what: '… Headroom enabled, menu closed, on a calm cgroup2 tree', value: `not run: ${s.cgroupfs.reason}`, budget: '–', met: null, number: NaN });
        }
    } else {
        rows.push({ id: '6', what: 'gnome-shell CPU (enabled / disabled / menu open)', value: `not run: ${shell.reason}`, budget: '–', met: null, number: NaN });
    }

    // ---- output
    const elapsed = (Date.now() - started) / 1000;
    const machineLine = `${m.cpus} × ${m.model}${m.virtual ? ' (virtual machine)' : ''}, ${m.memoryGiB} GiB, Linux ${m.kernel}` +
        (shell.ok ? `, ${shell.value.gnomeShell} (e2e rootfs)` : '') + `. Benchmarks 1–5 ran under ${gjsUsed}`;
    const text = [
        `# Headroom benchmarks${smoke ? ' (smoke run: tiny sizes, figures mean nothing)' : ''}`,
        '',
        `Machine: ${machineLine}. Load average at start ${m.load}, at end ${os.loadavg().map(l => l.toFixed(2)).join(' ')}.`,
        `Run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`${smoke ? 'make test-bench-smoke' : 'make bench'}\`, ${elapsed.toFixed(0)} s in all, source ${source()}. ` +
            `Synthetic tree on ${where.fs}: ${tree ? `${tree.cgroups} cgroups (${tree.leaves} leaves, ${tree.containers} containers), ${tree.processes} processes, ${tree.files.toLocaleString('en')} files` : 'not written'}.`,
        'Every figure is from this run on this machine; compare them with each other, not with another machine\'s.',
        '',
        table(),
        '',
        ...describe(details, shell, tree),
        ...(notes.length > 0 ? ['', ...notes] : []),
        ...(failures.length > 0 ? ['', '## Failures', '', ...failures.map(f => `* ${f}`)] : []),
        '',
    ].join('\n');
    process.stdout.write(`${text}\n`);
    const file = smoke ? join(OUT, 'results-smoke.md') : only ? join(OUT, 'results-only.md') : join(BENCH, 'results.md');
    writeFileSync(file, text);
    log(`wrote ${file}`);

    if (failures.length > 0)
        return 1;
    if (smoke) {
        // Benchmark 6 may be skipped (not root, no rootfs), and its cgroupfs window (no cgroup2 to write
        // to); had either failed, `failures` says so above.
        const skipped = (id: string) => (id === '6' && !shell.ok) || (id === '6g' && shell.ok && !shell.value.cgroupfs.ok);
        const missing = rows.filter(r => !Number.isFinite(r.number) && !skipped(r.id));
        if (missing.length > 0) {
            process.stderr.write(`smoke: no number for ${missing.map(r => `${r.id} ${r.what}`).join('; ')}\n`);
            return 1;
        }
    }
    return 0;
}

function ms(x: unknown, digits = 2): string {
    return Number.isFinite(num(x)) ? `${num(x).toFixed(digits)} ms` : 'n/a';
}

/** The details under the table: how each figure was taken, and the what-ifs. */
function describe(d: Record<string, Json>, shell: ShellOutcome, tree: Tree | null): string[] {
    const t = d.tick;
    const s = d.scan;
    const b = d.block;
    const mem = d.memory;
    const sm = d.samplerMemory;
    const pct = (x: unknown) => (Number.isFinite(num(x)) ? `${Math.round(num(x) * 100)} %` : 'n/a');
    const out = [
        '## How, and what the figures mean',
        '',
        '**Main-thread CPU** is the gjs main thread\'s own run time (`/proc/thread-self/schedstat`), read right after the',
        'main loop slept (the kernel accounts a running thread\'s time only when it sleeps or at a tick), minus the same',
        'measurement around no work. It counts JavaScript, GJS\'s marshalling, GLib\'s dispatch of the completions and the',
        'system calls they make, not GIO\'s worker threads that do the reads: an upper bound of the JavaScript time.',
        '"User share" is the user-mode part of it (`/proc/thread-self/stat`, tick-sampled).',
        '',
        '**1. Pressure tick.** The real `PressureSampler` on 4 slices (what it reads per tick is its own: the slices\' parent\'s',
        'memory.pressure first and, unless it shows no stall since the slices last read full avg10 0.00, each slice\'s; memory.stat',
        'of each slice every fifth tick; memory.events when its file monitor says it changed) and `PressureEngine.update`, driven',
        `by \`sampleNow()\` after ${num(get(t, 'warmup'))} warm-up ticks of both kinds. The files are rewritten in place, as the kernel's are, and the`,
        'sampler keeps them open and reads the parent first, as it does on cgroup2. Calm: the app slice at 0.00 and the parent',
        `unchanged, ${num(get(t, 'calmReused'))} of ${num(get(t, 'n'))} ticks sent the last readings out again without reading a slice;`,
        `median ${ms(get(t, 'cpuMedianMs'), 3)}, p90 ${ms(get(t, 'cpuP90Ms'), 3)}, wall ${ms(get(t, 'wallMedianMs'))}; user share ${pct(get(t, 'userShare'))}.`,
        `The one read a calm tick makes, alone (a kept file's \`readThen\`, between the same ticks): ${ms(get(t, 'oneRead', 'cpuMedianMs'), 3)}.`,
        'While a slice stalls: the app slice\'s memory.pressure, and its parent\'s with it, follow the first 120 s of a stall trace',
        `(bursts of 20 %, then a climb to 95 %); ${num(get(t, 'stalling', 'n'))} ticks: median ${ms(get(t, 'stalling', 'cpuMedianMs'), 3)}, p90 ${ms(get(t, 'stalling', 'cpuP90Ms'), 3)},`,
        `wall ${ms(get(t, 'stalling', 'wallMedianMs'))}; user share ${pct(get(t, 'stalling', 'userShare'))}. Empty baseline ${ms(get(t, 'emptyBaselineMs'), 3)}.`,
        'What-ifs during the stall ticks (the same engine, not Headroom\'s code):',
        `only the 4 memory.pressure files, each opened and read (readText, as on a file system other than cgroup2): ${ms(get(t, 'whatIf', 'pressureOnlyAsync', 'cpuMedianMs'), 3)};`,
        `memory.pressure and memory.stat read synchronously (GLib.file_get_contents, which the house rules forbid): ${ms(get(t, 'whatIf', 'pressureAndStatSync', 'cpuMedianMs'), 3)}.`,
        '',
        '**2. Inventory scan.** The extension\'s `InventoryService`: `scanNow()` on a service that has scanned before, with',
        'the menu open (memory.current of every cgroup, memory.stat of the shown rows\' cgroups as `detailPaths` picks them,',
        'containers\' cgroup.events and process names) and `buildInventory` on each scan as the extension does before drawing',
        'rows; while pressure is up (memory.stat of every cgroup: oomd\'s rule ranks all candidates by pgscan); idle (sizes',
        'only, no inventory built); and the first scan of a fresh menu-open service (it lists the tree). While the menu is',
        'open the files read at every scan (shown rows, cgroups with children, containers) stay open between scans, as the',
        'service does on cgroup2 (told to here: the tree is on tmpfs, and its files are never replaced). On the',
        'synthetic tree: every cgroup folder holds the ~50 control files of the cpu, io, memory and pids controllers, as',
        `under a Fedora user manager, so listing the tree returns ${tree?.managerEntries.toLocaleString('en') ?? 'n/a'} folder entries (a GFileInfo and a JS wrapper`,
        'each); a later scan lists nothing (directory monitors say when cgroups come and go). Against it, the peers\' approach implemented here: list /proc, read',
        '`/proc/<pid>/status` (VmRSS) and `/proc/<pid>/cgroup` of every process with Gio async reads, 16 in flight, sum per',
        `app; and the same with smaps_rollup (Pss). Alternating, GC forced before each, ${num(get(s, 'headroom', 'n'))} rounds after ${num(get(s, 'warmup'))} warm-up`,
        '(the first scan of a fresh service and the smaps_rollup walk in 3 of them).',
        '',
        '| Approach | Main-thread CPU (median) | p90 | Wall (median) | User share |',
        '| --- | --- | --- | --- | --- |',
        ...([['Headroom: a scan, menu open, + buildInventory', 'headroom'], ['Headroom: an idle scan', 'idleScan'],
            ['Headroom: a scan while pressure is up, + buildInventory', 'pressingScan'],
            ['Headroom: first scan of a fresh service (+ buildInventory)', 'firstScan'],
            ['Peers: status + cgroup per process', 'peersStatus'],
            ['Peers: smaps_rollup + cgroup per process', 'peersSmaps'], ['buildInventory alone (warm)', 'buildInventory']] as const).map(([name, key]) => {
            const v = get(s, ...key.split('.'));
            return `| ${name} | ${ms(get(v, 'cpuMedianMs'), 1)} | ${ms(get(v, 'cpuP90Ms'), 1)} | ${ms(get(v, 'wallMedianMs'), 1)} | ${pct(get(v, 'userShare'))} |`;
        }),
        '',
        `Ratios (peers ÷ Headroom): main-thread CPU ${num(get(s, 'cpuRatioStatus'))}× (status), ${num(get(s, 'cpuRatioSmaps'))}× (smaps_rollup);`,
        `wall ${num(get(s, 'wallRatioStatus'))}× / ${num(get(s, 'wallRatioSmaps'))}× (against the scan with the menu open). buildInventory's first (cold) call: ${ms(get(s, 'buildInventory', 'coldMs'), 1)}.`,
        'The fake /proc is on tmpfs: the kernel work of producing status or smaps_rollup (which walks page tables) is not',
        'in it, which favours the peers\' walk in wall time; their main-thread cost is the same as on a real /proc.',
        '',
        '**3. Main-loop blocking.** A 10 ms `GLib.timeout_add` notes how late each firing is, in four phases: nothing else',
        `(${SIZES.blockSec} s); Headroom with the menu open, at the extension's own cadence (the sampler at its 1 s interval, a menu-open`,
        `InventoryService scan with buildInventory every 3 s; ${SIZES.cadenceSec} s) — the budget row; the same scans back to back (${SIZES.blockSec} s,`,
        'harsher than any real use: it shows what the garbage of continuous scanning costs); the peers\' walk back to back with the same',
        `sampler (${SIZES.blockSec} s). Each phase starts after a forced GC and half a second of rest, so that it pays for its`,
        'own garbage and not for what the setup or the phase before it left behind.',
        '',
        'Each firing also reads the main thread\'s schedstat: in the gap before the worst firing, how long the thread ran',
        'and how long it waited for a CPU; "held" is min(lateness, the thread\'s run time in the gap), the part its own',
        'work explains whatever else the machine does.',
        '',
        '| Phase | Firings | Scans | Median | p99 | Worst | Worst gap: ran / waited | Held p99 / worst | GCs: major / minor |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...(['idle', 'headroom', 'backToBack', 'peers'] as const).map(k => {
            const v = get(b, k);
            return `| ${k} | ${num(get(v, 'firings'))} | ${num(get(v, 'rounds'))} | ${ms(get(v, 'medianMs'), 2)} | ${ms(get(v, 'p99Ms'), 1)} | ` +
                `${ms(get(v, 'worstMs'), 1)} | ${ms(get(v, 'worstGap', 'runMs'), 1)} / ${ms(get(v, 'worstGap', 'waitMs'), 1)} | ` +
                `${ms(get(v, 'heldP99Ms'), 1)} / ${ms(get(v, 'heldWorstMs'), 1)} | ${num(get(v, 'majorGCs'))} / ${num(get(v, 'minorGCs'))} |`;
        }),
        '',
        '**4. Lead time** (`leadTimeTable()` from src/core/traces.ts through the replay runner, under gjs):',
        '',
        '```',
        typeof get(d.leadtime, 'text') === 'string' ? get(d.leadtime, 'text') as string : 'n/a',
        '```',
        '',
        `**5. Memory.** \`PressureEngine.update\` for ${num(get(mem, 'ticks')).toLocaleString('en')} simulated 1 s ticks (4 slices; the app slice stalls 80 s of every`,
        `4 min, so the engine goes through amber, red and the post-action delay), after ${num(get(mem, 'warmup')).toLocaleString('en')} warm-up ticks. In a fresh`,
        'gjs process RSS climbs while SpiderMonkey\'s GC heap grows to its working size (in a separate run under gjs 1.82:',
        '+40 MB over the first ~100,000 ticks, then flat; under 1.74: +15 MB over ~20,000); GNOME Shell\'s heap is past that,',
        'so the warm-up is too. GC forced before each reading.',
        `RSS ${num(get(mem, 'before', 'rssKb'))} → ${num(get(mem, 'after', 'rssKb'))} KiB; JS heap (gcBytes) ${num(get(mem, 'before', 'heapBytes'))} →`,
        `${num(get(mem, 'after', 'heapBytes'))} B; RSS at each eighth of the run: ${Array.isArray(get(mem, 'rssCheckpointsKb')) ? (get(mem, 'rssCheckpointsKb') as number[]).join(', ') : 'n/a'} KiB; ${ms(get(mem, 'wallMs'), 0)} in all.`,
        `The real sampler with the engine, ${num(get(sm, 'samples'))} samples back to back after ${num(get(sm, 'warmup'))} warm-up: RSS ${num(get(sm, 'rssGrowthKb'))} KiB,`,
        `JS heap ${num(get(sm, 'heapGrowthBytes'))} B; RSS at each eighth: ${Array.isArray(get(sm, 'rssCheckpointsKb')) ? (get(sm, 'rssCheckpointsKb') as number[]).join(', ') : 'n/a'} KiB`,
        '(no budget). Native memory, not the JS heap: each async read leaves GObjects and buffers (a GFileInputStream,',
        'a GBytes) that are freed only when their JS wrappers are collected, so RSS climbs to a high-water mark set by',
        'the number of reads between two garbage collections (see bench/proposals/README.md).',
        '',
    ];
    if (shell.ok) {
        const v = shell.value;
        const windows: [string, ShellWindow][] = [['disabled', v.disabled], ['enabled, menu closed', v.closed], ['enabled, menu open', v.open]];
        if (v.cgroupfs.ok)
            windows.push(['enabled, menu closed, calm cgroup2 tree', v.cgroupfs.value]);
        out.push(
            `**6. GNOME Shell.** ${v.gnomeShell}, headless (llvmpipe, 1280×800) in the e2e rootfs, Headroom from the packed zip on a`,
            'copy of test/fixtures/seed with calm pressure (the seed\'s own 62 % would keep the inventory in its fast cadence).',
            `Three shells side by side, each in a session of its own, measured over the same ${v.windowSec} s, nothing talking to them`,
            `meanwhile: Headroom disabled (installed, not enabled) in one, enabled with the menu closed in another, open in the third;`,
            'a fourth, with the menu closed, reads a calm tree of real, empty cgroups made on this machine\'s cgroup2 hierarchy',
            '(the user manager and its four slices), where the sampler does what it does on a desktop: its files kept open, the',
            'slices\' parent read first. The seed\'s regular files make it open and read every slice\'s file each second instead;',
            `the shells start one after the other (in ${v.startSec.toFixed(1)} s), Headroom enabled from the start, and the window begins ${v.settleSec} s after`,
            'the last one started, so the shells\' and Headroom\'s one-off start are left out. Side by side, the shells share the same 60 s of machine',
            'noise; each one\'s CPU is its own process\'s.',
            '',
            '| Window | Process (all threads) | Main thread | Frames painted | 10 ms timer lateness in the shell: p99 / worst | Firings over 16.7 ms | Shell GCs: major / minor |',
            '| --- | --- | --- | --- | --- | --- | --- |',
            ...windows.map(([name, w]) =>
                `| ${name} | ${w.processMsPerSec} ms/s | ${w.mainMsPerSec} ms/s | ${w.framesPerSec ?? 'n/a'} /s | ` +
                `${w.lateness ? `${w.lateness.p99Ms} / ${w.lateness.worstMs} ms (${w.lateness.firings} firings)` : 'n/a'} | ` +
                `${w.lateness ? w.lateness.overFrame : 'n/a'} | ${w.lateness ? `${w.lateness.majorGCs} / ${w.lateness.minorGCs}` : 'n/a'} |`),
            '',
            'The lateness column is benchmark 3 inside the real shell: a 10 ms timeout at the default priority, added through the',
            'test harness\'s Eval for each window. It shows the shell\'s own blocking (its garbage collections, painting a frame in',
            'software) as well as Headroom\'s; compare the windows with each other.',
            '',
            'Painting is done by llvmpipe (software) here: a frame costs far more CPU than on a GPU, so the differences are',
            'an upper bound for a desktop with graphics hardware.',
        );
    } else {
        out.push(`**6. GNOME Shell.** Not run: ${shell.reason}.`);
    }
    return out;
}

process.exitCode = await main();
