// Helpers for notify.e2e.ts and the demo (demo.ts): the seed incident's synthetic trace
// (src/core/traces.ts) turned into file contents for the seed fixture, a pump that writes them once a
// second from a worker thread, the stand-in systemd-oomd (test/dbus/fake-oomd.js) on the session's
// system bus, the stand-in user manager (test/dbus/fake-systemd.js) on its session bus, and readers of
// Headroom's notifications and of the banner (run inside the shell).
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, copyFileSync, mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {Worker} from 'node:worker_threads';
import {runReplay, type ReplayRecord} from '../../src/core/replay.js';
import {
    INCIDENT_EVOLUTION, INCIDENT_FIREFOX, INCIDENT_JELLYFIN, INCIDENT_PAYLOAD, TRACE_SLICE, calcLoad, seedIncident,
    showAvg,
} from '../../src/core/traces.js';
import {MANAGER, type FixtureCopy} from './inventory-helpers.js';
import {REPO_ROOT, SHELL_SH, sleep, waitFor, type GnomeShellSession} from './lib.js';

// ---- the seed incident as files --------------------------------------------------------------

/** One second of the replay: files to replace (below user@1000.service) and cgroups that went away. */
export interface Frame {
    t: number;
    files: FrameFile[];
    remove: string[];
    /**
     * Within the second: memory.stat rewritten every tenth of it, its pgscan on the way to the next frame's,
     * as the kernel's counter grows all the time (written once a second, two scans a little under a second
     * apart could read the same counts, and oomd's rule would see no reclaim anywhere).
     */
    steps: {at: number; files: FrameFile[]}[];
}

interface FrameFile {
    rel: string;
    file: string;
    text: string;
}

export interface IncidentPlan {
    records: ReplayRecord[];
    frames: Frame[];
    /** The trace's `killed` marker: when systemd-oomd stops the payload. */
    killT: number;
    /** What the replay (the extension's own engine, episode machine and victim rule) says, in trace seconds. */
    amberT: number;
    warnT: number;
    timerT: number;
    predictedKillT: number;
    /** The payload cgroup below user@1000.service, and as oomd names it in Killed (from the cgroup root). */
    payloadRel: string;
    payloadCgroup: string;
}

const FIXED_1 = 2048;
const EXP = [1677, 1981, 2034] as const; // EXP_10s, EXP_60s, EXP_300s (kernel/sched/psi.c)
const PERIOD_US = 2_000_000;
/** `some` stalls a little longer than `full`: its share is full's times this, at most 100 %. */
const SOME_FACTOR = 1.15;

interface PsiRow {
    avg: [number, number, number];
    total: number;
}

/**
 * The kernel's averages (avg10, avg60, avg300, shown with two truncated decimals) at the whole seconds
 * `times`, for a stall whose cumulative total is known at those seconds (constant share within each second,
 * as the traces are built). Updates every 2 s, `phase` s after 0, with calc_load as in traces.ts.
 */
function psiRows(totals: readonly number[], times: readonly number[], phase: number): PsiRow[] {
    const at = (x: number): number => {
        // piecewise-linear between whole seconds
        const i = Math.min(Math.max(0, Math.floor(x)), totals.length - 1);
        const j = Math.min(i + 1, totals.length - 1);
        const a = totals[i] ?? 0;
        const b = totals[j] ?? a;
        return Math.round(a + (b - a) * Math.min(1, Math.max(0, x - i)));
    };
    const avg: [number, number, number] = [0, 0, 0];
    let next = phase;
    let start = 0;
    return times.map(t => {
        while (next <= t) {
            const total = at(next);
            const pct = Math.min(100, Math.floor(((total - start) * 100) / PERIOD_US));
            for (let k = 0; k < 3; k++)
                avg[k] = calcLoad(avg[k] as number, EXP[k] as number, pct * FIXED_1);
            start = total;
            next += 2;
        }
        return {avg: [showAvg(avg[0]), showAvg(avg[1]), showAvg(avg[2])], total: at(t)};
    });
}

function psiFile(some: PsiRow, full: PsiRow): string {
    const f = (v: number): string => v.toFixed(2);
    const line = (kind: string, r: PsiRow): string =>
        `${kind} avg10=${f(r.avg[0])} avg60=${f(r.avg[1])} avg300=${f(r.avg[2])} total=${r.total}\n`;
    return line('some', some) + line('full', full);
}

/**
 * The seed incident of src/core/traces.ts (app.slice climbing to 92.16 % full avg10, oomd killing the
 * Jellyfin payload) mapped onto a copy of the seed fixture: the trace's slice, Jellyfin unit, payload,
 * Firefox and Evolution become the fixture's cgroups. Each frame rewrites their memory.pressure (the
 * trace's `full` avg10 and total exactly; `some` and the 60/300 s averages by the same kernel arithmetic)
 * and the pgscan line of their memory.stat (the fixture's value plus the trace's increase: the payload
 * scans fastest). After the kill the payload's cgroup goes away.
 */
export function seedIncidentPlan(seed: FixtureCopy, opts: {afterKillSec?: number; phase?: number} = {}): IncidentPlan {
    const phase = opts.phase ?? 0.5;
    const records = seedIncident({phase, afterKillSec: opts.afterKillSec ?? 20});
    const kill = records.find(r => r.killed === true);
    assert.ok(kill, 'the seed incident has a kill');
    const payloadId = seed.payloadId('app.slice/jellyfin.service');
    const payloadRel = `app.slice/jellyfin.service/libpod-payload-${payloadId}`;
    const map = new Map<string, string>([
        [TRACE_SLICE, 'app.slice'],
        [INCIDENT_JELLYFIN, 'app.slice/jellyfin.service'],
        [INCIDENT_PAYLOAD, payloadRel],
        [INCIDENT_FIREFOX, 'app.slice/app-gnome-firefox-4242.scope'],
        [INCIDENT_EVOLUTION, 'app.slice/app-gnome-org.gnome.Evolution-5120.scope'],
    ]);

    const times = [...new Set(records.map(r => r.t))].sort((a, b) => a - b);
    times.forEach((t, i) => assert.equal(t, i, 'one sample per whole second from 0'));
    const frames: Frame[] = times.map(t => ({t, files: [], remove: [], steps: STEPS.map(at => ({at, files: []}))}));
    for (const [cgroup, rel] of map) {
        const rows = records.filter(r => r.cgroup === cgroup && r.full_total !== undefined);
        const byT = new Map(rows.map(r => [r.t, r]));
        // Stall totals at every second while the cgroup exists (held at its last value after).
        const full: number[] = [];
        const some: number[] = [];
        let last = 0;
        let someLast = 0;
        for (const t of times) {
            const total = byT.get(t)?.full_total ?? last;
            someLast += Math.min(1e6, Math.round((total - last) * SOME_FACTOR));
            last = total;
            full.push(total);
            some.push(someLast);
        }
        const fullRows = psiRows(full, times, phase);
        const someRows = psiRows(some, times, phase);
        // The totals go on from the fixture's (counters since boot), so they never step back.
        const basePsi = seed.read(rel, 'memory.pressure');
        const baseTotal = (kind: string): number => Number(new RegExp(`^${kind} .*total=(\\d+)`, 'm').exec(basePsi)?.[1] ?? 0);
        const [someBase, fullBase] = [baseTotal('some'), baseTotal('full')];
        const baseStat = seed.read(rel, 'memory.stat');
        const basePgscan = Number(/^pgscan (\d+)$/m.exec(baseStat)?.[1]);
        assert.ok(Number.isFinite(basePgscan), `pgscan in ${rel}/memory.stat`);
        const firstPgscan = rows[0]?.pgscan ?? 0;
        let removed = false;
        for (const [i, t] of times.entries()) {
            const r = byT.get(t);
            const frame = frames[i] as Frame;
            if (!r) {
                // The payload after the kill: its cgroup goes at the first sample without it.
                if (cgroup === INCIDENT_PAYLOAD && t > kill.t && !removed) {
                    frame.remove.push(rel);
                    removed = true;
                }
                continue;
            }
            const fr = fullRows[i] as PsiRow;
            // Self-check: the file says what the trace says.
            assert.equal(fr.avg[0], r.full_avg10, `${rel} full avg10 at t=${t}`);
            assert.equal(fr.total, r.full_total, `${rel} full total at t=${t}`);
            const sr = someRows[i] as PsiRow;
            frame.files.push({rel, file: 'memory.pressure', text: psiFile({...sr, total: sr.total + someBase},
                {...fr, total: fr.total + fullBase})});
            const stat = (count: number) => baseStat.replace(/^pgscan \d+$/m, `pgscan ${basePgscan + count - firstPgscan}`);
            const pgscan = r.pgscan ?? firstPgscan;
            frame.files.push({rel, file: 'memory.stat', text: stat(pgscan)});
            const next = byT.get(t + 1)?.pgscan;
            if (next !== undefined && next > pgscan) {
                for (const step of frame.steps)
                    step.files.push({rel, file: 'memory.stat', text: stat(Math.round(pgscan + step.at * (next - pgscan)))});
            }
        }
    }

    const events = runReplay(records);
    const first = (kind: string): number => {
        const e = events.find(x => x.kind === kind);
        assert.ok(e, `the replay has a ${kind} event`);
        return e.time;
    };
    return {
        records, frames, killT: kill.t,
        amberT: first('amber'), warnT: first('warning'), timerT: first('timer-start'),
        predictedKillT: first('predicted-kill'),
        payloadRel, payloadCgroup: `/${MANAGER}/${payloadRel}`,
    };
}

// ---- the pump ------------------------------------------------------------------------------------

/** When, within a frame's second, its steps are written. */
const STEPS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

// A worker thread, so that the test's synchronous D-Bus calls (spawnSync) do not hold up the writes.
// Files are rewritten in place, as the kernel changes them: a temporary file renamed over them would
// show up as CREATED/DELETED in the directory monitors of Headroom's inventory, and every such event
// asks for an extra scan, which would see pgscan deltas over a fraction of a second (zero, as the
// trace moves in whole seconds) and rank oomd's candidates by size alone.
const PUMP_WORKER = `
const {workerData, parentPort} = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const {frames, root, startAt, state} = workerData;
const progress = new Int32Array(state);
// In place and never empty, as rewriteInPlace in inventory-helpers.ts (this worker cannot import it).
const rewrite = (file, text) => {
    const fd = fs.openSync(file, 'r+');
    try {
        const data = Buffer.from(text);
        fs.writeSync(fd, data, 0, data.length, 0);
        fs.ftruncateSync(fd, data.length);
    } finally {
        fs.closeSync(fd);
    }
};
(async () => {
    const t0 = frames[0].t;
    const until = async at => {
        const wait = startAt + (at - t0) * 1000 - Date.now();
        if (wait > 0)
            await new Promise(r => setTimeout(r, wait));
        return Atomics.load(progress, 1) === 0;
    };
    pump: for (let i = 0; i < frames.length; i++) {
        if (!await until(frames[i].t))
            break;
        for (const f of frames[i].files)
            rewrite(path.join(root, f.rel, f.file), f.text);
        for (const rel of frames[i].remove)
            fs.rmSync(path.join(root, rel), {recursive: true, force: true});
        Atomics.store(progress, 0, i + 1);
        for (const step of frames[i].steps) {
            if (step.files.length === 0)
                continue;
            if (!await until(frames[i].t + step.at))
                break pump;
            for (const f of step.files)
                rewrite(path.join(root, f.rel, f.file), f.text);
        }
    }
    parentPort.postMessage('done');
})().catch(e => parentPort.postMessage('error: ' + (e && e.stack || e)));
`;

/** Writes frames at their trace times, one second apart, from a worker thread. */
export class Pump {
    readonly startAt: number;
    private readonly _worker: Worker;
    private readonly _progress: Int32Array;
    private _error: string | null = null;
    private _done = false;

    /** `root`: the host folder of user@1000.service in the fixture copy. Starts `delayMs` from now. */
    constructor(readonly frames: Frame[], root: string, delayMs = 300) {
        assert.ok(frames.length > 0);
        const state = new SharedArrayBuffer(8);
        this._progress = new Int32Array(state);
        this.startAt = Date.now() + delayMs;
        this._worker = new Worker(PUMP_WORKER, {eval: true, workerData: {frames, root, startAt: this.startAt, state}});
        this._worker.on('message', (m: string) => {
            if (m === 'done')
                this._done = true;
            else
                this._error = m;
        });
        this._worker.on('error', e => {
            this._error = String(e);
        });
    }

    /** Trace seconds now (the first frame's t at startAt). */
    now(): number {
        return this.timeOf(Date.now());
    }

    /** Trace seconds of a wall-clock time (ms since the epoch). */
    timeOf(ms: number): number {
        return (ms - this.startAt) / 1000 + (this.frames[0] as Frame).t;
    }

    /** The t of the last frame written, or null before the first. */
    writtenT(): number | null {
        const n = Atomics.load(this._progress, 0);
        return n === 0 ? null : (this.frames[n - 1] as Frame).t;
    }

    get done(): boolean {
        return this._done;
    }

    /** Throws if the worker failed. */
    check(): void {
        if (this._error !== null)
            throw new Error(`the pump failed: ${this._error}`);
    }

    async waitWritten(t: number, timeoutMs: number): Promise<void> {
        await waitFor(`the pump at t=${t}`, () => {
            this.check();
            const w = this.writtenT();
            return w !== null && w >= t;
        }, timeoutMs, 50);
    }

    stop(): void {
        Atomics.store(this._progress, 1, 1);
        void this._worker.terminate();
    }
}

// ---- the stand-in systemd-oomd -------------------------------------------------------------------

export const OOMD_CONTROL = 'org.headroom.Test.FakeOomd';
const SYSTEM_BUS = 'unix:path=/run/dbus/system_bus_socket';

/**
 * A stand-in D-Bus service from test/dbus, run inside the session as uid 1000 with one data file; it
 * prints "ready" once it owns its names, and answers Quit on its control interface.
 */
abstract class StandIn {
    private _proc: ChildProcess | null = null;
    private _output = '';

    protected constructor(protected readonly _shell: GnomeShellSession, private readonly _script: string,
        private readonly _bus: 'system' | 'session', private readonly _control: string) {}

    /** Starts the script with its data file; resolves once it owns its names. */
    protected async _start(dataName: string, data: string): Promise<void> {
        const dir = this._shell.hostPath();
        copyFileSync(join(REPO_ROOT, 'test', 'dbus', this._script), join(dir, this._script));
        writeFileSync(join(dir, dataName), data);
        chmodSync(join(dir, this._script), 0o644);
        chmodSync(join(dir, dataName), 0o644);
        const address = this._bus === 'system' ? SYSTEM_BUS : SESSION_BUS;
        const p = this._proc = spawn('bash', [SHELL_SH, 'exec', 'gjs', '-m', this._shell.sessionPath(this._script),
            address, this._shell.sessionPath(dataName)], {stdio: ['ignore', 'pipe', 'pipe']});
        p.stdout?.on('data', (d: Buffer) => {
            this._output += d.toString();
        });
        p.stderr?.on('data', (d: Buffer) => {
            this._output += d.toString();
        });
        await waitFor(`${this._script} ready`, () => {
            if (p.exitCode !== null)
                throw new Error(`${this._script} exited (${p.exitCode}): ${this._output}`);
            return /^ready$/m.test(this._output);
        }, 20_000, 100);
    }

    get output(): string {
        return this._output;
    }

    protected _call(method: string, ...args: string[]): void {
        this._shell.execOk(['gdbus', 'call', `--${this._bus}`, '--dest', this._control, '--object-path', '/org/headroom/Test',
            '--method', `${this._control}.${method}`, ...args]);
    }

    /** Ends the stand-in (the session's end would as well). */
    async quit(): Promise<void> {
        const p = this._proc;
        if (p?.exitCode !== null)
            return;
        try {
            this._call('Quit');
        } catch {
            // the session may be gone already
        }
        for (let i = 0; i < 30 && p.exitCode === null; i++)
            await sleep(100);
        this._proc = null;
    }
}

/**
 * test/dbus/fake-oomd.js on the session's system bus, as uid 1000. The system bus denies owning names
 * unless a policy allows it: `policyFile()` writes one for this session only (shell.sh --system-policy),
 * mirroring systemd's org.freedesktop.oom1.conf (anyone may call DumpByFileDescriptor and receive Killed)
 * plus the stand-in's control interface.
 */
export class FakeOomd extends StandIn {
    constructor(shell: GnomeShellSession) {
        super(shell, 'fake-oomd.js', 'system', OOMD_CONTROL);
    }

    /** Host path of the policy file; pass it to start({systemPolicies}). */
    policyFile(): string {
        mkdirSync(this._shell.paths.stateDir, {recursive: true});
        const f = join(this._shell.paths.stateDir, 'headroom-e2e-oomd.conf');
        writeFileSync(f, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- Test only (Headroom e2e): the stand-in systemd-oomd runs as the session's user. -->
<busconfig>
  <policy user="tester">
    <allow own="org.freedesktop.oom1"/>
    <allow own="${OOMD_CONTROL}"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.oom1" send_interface="org.freedesktop.oom1.Manager"
           send_member="DumpByFileDescriptor"/>
    <allow send_destination="org.freedesktop.oom1" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.oom1" send_interface="org.freedesktop.DBus.Peer"/>
    <allow send_destination="${OOMD_CONTROL}" send_interface="${OOMD_CONTROL}"/>
  </policy>
</busconfig>
`);
        return f;
    }

    /** Starts the stand-in with `dump` as its DumpByFileDescriptor text; resolves once it owns its names. */
    start(dump: string): Promise<void> {
        return this._start('oomd.dump', dump);
    }

    /** org.freedesktop.oom1.Manager.Killed(cgroup, reason) on the system bus. */
    emitKilled(cgroup: string, reason = 'memory-pressure'): void {
        this._call('EmitKilled', cgroup, reason);
    }
}

// ---- the stand-in user manager -----------------------------------------------------------------

export const SYSTEMD_CONTROL = 'org.headroom.Test.FakeSystemd';
/** The session's bus (shell.sh: dbus-daemon --session on this address; no systemd owns a name on it). */
const SESSION_BUS = 'unix:path=/run/user/1000/bus';

/** What SetUnitState of test/dbus/fake-systemd.js changes (its field names). */
export interface UnitState {
    activeState?: string;
    subState?: string;
    nRestarts?: number;
    result?: string;
    /** ActiveEnterTimestampMonotonic becomes now. */
    entered?: boolean;
}

/**
 * test/dbus/fake-systemd.js on the session's bus, as uid 1000: the user's systemd manager as Headroom's
 * restart watch asks it (org.freedesktop.systemd1: GetUnit, the unit's properties, PropertiesChanged).
 * A session bus lets anyone own any name: no policy needed.
 */
export class FakeSystemd extends StandIn {
    constructor(shell: GnomeShellSession) {
        super(shell, 'fake-systemd.js', 'session', SYSTEMD_CONTROL);
    }

    /** Starts the stand-in with `units` (unit name → fake-systemd.js' unit fields); resolves once it owns its names. */
    start(units: Record<string, object>): Promise<void> {
        return this._start('user-units.json', JSON.stringify(units));
    }

    /** Changes a listed unit's state; with `signal`, PropertiesChanged as systemd sends it. */
    setUnitState(unit: string, state: UnitState, signal = true): void {
        this._call('SetUnitState', unit, JSON.stringify(state), signal ? 'true' : 'false');
    }
}

/**
 * `oomctl dump` text (systemd 257's format, as test/fixtures/oomd/fedora42-v257.dump) saying that
 * oomd watches the user manager's slices present in the fixture, each with Fedora's 80 % / 20 s.
 */
export function seedOomdDump(seed: FixtureCopy, slices = ['app.slice', 'session.slice', 'background.slice', 'user.slice']): string {
    const lines = ['Dry Run: no', 'Swap Used Limit: 90.00%', 'Default Memory Pressure Limit: 60.00%',
        'Default Memory Pressure Duration: 20s', 'System Context:', '\tMemory: Used: 14.1G, Total: 15.3G',
        '\tSwap: Used: 7.6G, Total: 8.0G', 'Swap Monitored CGroups:', 'Memory Pressure Monitored CGroups:'];
    for (const s of slices) {
        const psi = /^full avg10=([\d.]+) avg60=([\d.]+) avg300=([\d.]+)/m.exec(seed.read(s, 'memory.pressure'));
        const pgscan = /^pgscan (\d+)$/m.exec(seed.read(s, 'memory.stat'))?.[1] ?? '0';
        const current = Number(seed.read(s, 'memory.current').trim());
        lines.push(`\tPath: /${MANAGER}/${s}`, '\t\tMemory Pressure Limit: 80.00%', '\t\tMemory Pressure Duration: 20s',
            `\t\tPressure: Avg10: ${psi?.[1] ?? '0.00'}, Avg60: ${psi?.[2] ?? '0.00'}, Avg300: ${psi?.[3] ?? '0.00'}, Total: 0`,
            `\t\tCurrent Memory Usage: ${current >= 2 ** 30 ? `${(current / 2 ** 30).toFixed(1)}G` : `${(current / 2 ** 20).toFixed(1)}M`}`, '\t\tMemory Min: 0B', '\t\tMemory Low: 0B',
            `\t\tPgscan: ${pgscan}`, `\t\tLast Pgscan: ${pgscan}`);
    }
    return `${lines.join('\n')}\n`;
}

// ---- notifications as the shell holds them ---------------------------------------------------------

/** MessageTray.Urgency */
export const URGENCY = {LOW: 0, NORMAL: 1, HIGH: 2, CRITICAL: 3} as const;

export interface SeenNotification {
    /** Order of arrival in Headroom's source (1, 2, …); the same object keeps its id. */
    id: number;
    title: string;
    body: string;
    urgency: number;
    actions: string[];
    /** Date.now() in the shell when it was added. */
    addedAt: number;
    /** Every body it had, in order (updates in place append here). */
    bodies: string[];
    /** The destroy reason, or null while it exists. */
    destroyed: number | null;
}

/**
 * JS that starts recording every notification added to a source titled 'Headroom' (sources added later
 * too), tagging each object with its id. Idempotent.
 */
export const RECORDER_JS = `(() => {
    if (globalThis.__headroomE2E) return true;
    const rec = globalThis.__headroomE2E = {seen: [], sources: 0};
    const hook = src => {
        if (src.title !== 'Headroom') return;
        rec.sources++;
        src.connect('notification-added', (_s, n) => {
            const entry = {id: rec.seen.length + 1, title: n.title, body: n.body, urgency: n.urgency,
                actions: n.actions.map(a => a.label), addedAt: Date.now(), bodies: [n.body], destroyed: null};
            rec.seen.push(entry);
            n.__headroomE2EId = entry.id;
            n.connect('notify::body', () => { entry.body = n.body; entry.bodies.push(n.body); });
            n.connect('notify::title', () => { entry.title = n.title; });
            n.connect('destroy', (_n, reason) => { entry.destroyed = reason ?? -1; });
        });
    };
    Main.messageTray.connect('source-added', (_t, src) => hook(src));
    Main.messageTray.getSources().forEach(hook);
    return true;
})()`;

export const SEEN_JS = '(globalThis.__headroomE2E?.seen ?? null)';

/** JS: the notifications Headroom's source holds now (title, body, urgency, action labels, recorder id). */
export const CURRENT_JS = `Main.messageTray.getSources().filter(s => s.title === 'Headroom')
    .flatMap(s => s.notifications.map(n => ({id: n.__headroomE2EId ?? null, title: n.title, body: n.body,
        urgency: n.urgency, actions: n.actions.map(a => a.label)})))`;

export interface Banner {
    /** Recorder id of the notification shown, null for another source's. */
    id: number | null;
    title: string;
    body: string;
    expanded: boolean;
    x: number;
    y: number;
    w: number;
    h: number;
    buttons: {label: string; x: number; y: number; mapped: boolean; reactive: boolean}[];
    /** Fully shown: the tray's banner state SHOWN, opaque, slid in (not still entering or leaving). */
    settled: boolean;
    /** Bottom of the top bar, and the stage's size. */
    panelBottom: number;
    stage: {w: number; h: number};
}

/** JS: the banner the message tray shows now, or null. */
export const BANNER_JS = `(() => {
    const tray = Main.messageTray;
    const b = tray._banner;
    if (!b || !tray.visible || !b.mapped) return null;
    const [x, y] = b.get_transformed_position();
    const [w, h] = b.get_transformed_size();
    const buttons = (b._buttonBox?.get_children() ?? []).map(c => {
        const [cx, cy] = actorCenter(c);
        return {label: c.label, x: cx, y: cy, mapped: c.mapped, reactive: c.reactive};
    });
    const [, py] = Main.panel.get_transformed_position();
    const bin = tray._bannerBin;
    const settled = tray._notificationState === 2 && bin.opacity === 255 && bin.y === 0 && h > 0;
    return {id: b.notification?.__headroomE2EId ?? null, title: b.title ?? '', body: b.body ?? '',
        expanded: !!b.expanded, x, y, w, h, buttons, settled, panelBottom: Math.round(py + Main.panel.height),
        stage: {w: global.stage.width, h: global.stage.height}};
})()`;

export interface ListedMessage {
    /** The text of the label that holds the searched text (the whole body, as the message list shows it). */
    text: string;
    /** Pango ellipsized that label: part of its text is not on screen. */
    ellipsized: boolean;
    /** The message's expand button (its header's chevron): centre, and whether it can be clicked. */
    expand: {x: number; y: number; mapped: boolean; reactive: boolean; opacity: number} | null;
    expanded: boolean;
    /** The label, and the open calendar menu around it, in stage pixels. */
    label: {x: number; y: number; w: number; h: number};
    menu: {x: number; y: number; w: number; h: number};
}

/**
 * JS: opens the calendar menu (the message list) and returns the mapped label whose text includes
 * `text`, or null while there is none (the menu opens animated: poll). Close it with CLOSE_LIST_JS.
 */
export function listedMessageJs(text: string): string {
    return `(() => {
    const menu = Main.panel.statusArea.dateMenu.menu;
    if (!menu.isOpen) menu.open(false);
    const box = a => { const [x, y] = a.get_transformed_position(); const [w, h] = a.get_transformed_size();
        return {x, y, w, h}; };
    const find = a => {
        if (a instanceof St.Label && a.mapped && a.text.includes(${JSON.stringify(text)})) return a;
        for (const c of a.get_children()) { const f = find(c); if (f) return f; }
        return null;
    };
    const label = find(menu.actor);
    if (!label || menu.actor.opacity !== 255 || !label.has_allocation()) return null;
    const l = box(label), m = box(menu.actor);
    // Laid out: a menu just opened is mapped a frame before it has a size.
    if (l.w < 1 || l.h < 1 || m.w < 1 || m.h < 1) return null;
    let message = label.get_parent();
    while (message && !message._header?.expandButton) message = message.get_parent();
    const b = message?._header.expandButton;
    const expand = b ? (([x, y]) => ({x, y, mapped: b.mapped, reactive: b.reactive, opacity: b.opacity}))(actorCenter(b))
        : null;
    return {text: label.text, ellipsized: label.clutter_text.get_layout().is_ellipsized(), expand,
        expanded: !!message?.expanded, label: l, menu: m};
})()`;
}

export const CLOSE_LIST_JS = 'Main.panel.statusArea.dateMenu.menu.close(false)';

/** The screen area around a banner (a margin for its shadow, below the top bar); the top 200 px if none. */
export function bannerArea(b: Banner | null): {x: number; y: number; w: number; h: number} {
    if (!b || b.y + b.h <= b.panelBottom)
        return {x: 0, y: 0, w: b?.stage.w ?? 1280, h: 200};
    const m = 16;
    const x = Math.max(0, Math.floor(b.x - m));
    const y = Math.max(b.panelBottom, Math.floor(b.y - m));
    const bottom = Math.min(b.stage.h, Math.ceil(b.y + b.h + m));
    return {x, y, w: Math.min(b.stage.w - x, Math.ceil(b.w + 2 * m)), h: bottom - y};
}

/** Replaces a memory.events counter in place, as the kernel does (a file monitor sees CHANGED). */
export function bumpEvent(seed: FixtureCopy, rel: string, key: string, by = 1): number {
    let value = 0;
    const text = seed.read(rel, 'memory.events').replace(new RegExp(`^${key} (\\d+)$`, 'm'), (_m, n: string) => {
        value = Number(n) + by;
        return `${key} ${value}`;
    });
    seed.rewrite(rel, 'memory.events', text);
    return value;
}

/** The host folder of user@1000.service in a fixture copy (for the pump). */
export function managerDir(seed: FixtureCopy): string {
    return join(seed.host, MANAGER);
}
