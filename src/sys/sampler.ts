// Samples the monitored cgroups once a second, the cadence of systemd-oomd: every slice's
// memory.pressure and memory.stat, read asynchronously and together. PSI files emit no change events,
// so they are polled; on cgroupfs they stay open between samples and are read again from the start, and
// while the slices' common parent shows no stall, only its memory.pressure is read (core/quiet.ts). A file
// monitor on each slice's memory.events wakes an extra sample when the kernel reports high/max/oom_kill
// events, and one on the user manager's directory notices slices that appear or go away.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { Disposer } from '../core/disposer.js';
import type { CgroupReading, MonitoredCgroup, Sample } from '../core/engine.js';
import { parseKeyValues } from '../core/keyvalue.js';
import { parsePsi, type Psi } from '../core/psi.js';
import { commonParent, QuietGate, type ParentReading } from '../core/quiet.js';
import { fail, ok, type Result } from '../core/result.js';
import { discoverUserSlices, userManagerPath } from './cgroups.js';
import { filesystemType, KeptFiles, readTextThen, stillReading } from './files.js';
import { watch } from './monitor.js';

/** memory.stat is read every this many samples, and at every one while pressure is up near the limit. */
const CALM_STAT_EVERY = 5;
/**
 * A sample waits about this long for its reads (the sampling timer checks at each tick); a read that has
 * not answered by then is reported, not awaited.
 */
const SAMPLE_LIMIT_MS = 5000;
/** Files kept open at most: memory.pressure and memory.stat of each watched slice. */
const MAX_KEPT_FILES = 32;
/** "Near the limit": full avg10 at or above this share of the cgroup's limit. */
const HOT_SHARE_OF_LIMIT = 0.5;

export interface SamplerOptions {
    /** Where cgroup v2 is mounted (a fixture tree in tests). */
    root: string;
    uid: number;
    /** Explicit cgroups (paths below root) to watch instead of the user's slices. */
    cgroups?: string[];
    /** Decides each cgroup's oomd policy. */
    policyFor: (path: string) => MonitoredCgroup['policy'];
    /** Called on the main loop with every sample, and with the reason when nothing can be watched. */
    onSample: (sample: Sample, unreadableReason: string | null) => void;
    intervalMs?: number;
    onError?: (error: unknown) => void;
    /**
     * Keep memory.pressure and memory.stat open between samples (PseudoFile). Default: when the root is
     * a cgroup2 file system, whose files the kernel writes anew for every read from offset 0.
     */
    keepFilesOpen?: boolean;
    /** How long a sample waits for its reads (default 5 s; tests shorten it). */
    sampleLimitMs?: number;
    /**
     * Read the slices' common parent's memory.pressure first, and the slices' own only when it shows a
     * stall since they read full avg10 0.00 (core/quiet.ts); meanwhile their last readings go out again
     * (their `full` line is what the file would show; the rest, which the engine does not use, is as last
     * read). Default: on a cgroup2 file system, where the kernel adds every child's stalls to its parent's
     * totals; a fixture tree has to be written so to be told to.
     */
    readParentFirst?: boolean;
    /** How long the parent must have been quiet before the slices' 0.00 readings stand (tests shorten it). */
    settleSec?: number;
}

/** A sample being read: its readings are filled in as the reads answer, while it is open. */
interface OpenSample {
    readonly time: number;
    readonly startedAt: number;
    readings: CgroupReading[];
    /** Reads not answered yet, plus one while they are being started. */
    pending: number;
    open: boolean;
}

type Done = (text: Result<string>) => void;

export class PressureSampler {
    private readonly _disposer: Disposer;
    private readonly _cancellable = new Gio.Cancellable();
    private _watch: Disposer | null = null;
    private _paths: string[] = [];
    private _reason: string | null = null;
    /** The last pgscan read per slice. */
    private readonly _pgscan = new Map<string, number | null>();
    private _ticks = 0;
    /** Pressure is up somewhere: read memory.stat at every sample of the slices near their limit. */
    hot = false;
    /** The sample being read, if any; a request meanwhile asks for one more after it (`_again`). */
    private _current: OpenSample | null = null;
    private _again = false;
    /** Files with a read in progress. */
    private readonly _reading = new Set<string>();
    /** The last pressure read per slice. */
    private readonly _lastPsi = new Map<string, Psi>();
    /** The slices' common parent, read first at every sample (with `_quiet`); null: the slices are read. */
    private _parent: string | null = null;
    private _readParentFirst = false;
    private readonly _quiet: QuietGate;
    /** Slices whose memory.events was read and has not changed since. */
    private readonly _eventsRead = new Set<string>();
    /** Files kept open between samples (on cgroupfs); null where they are not kept. */
    private _kept: KeptFiles | null = null;
    /** Whether the root's file system is known (and so whether files are kept). */
    private _fsKnown = false;

    constructor(private readonly _opts: SamplerOptions) {
        this._disposer = new Disposer(_opts.onError);
        this._quiet = new QuietGate(_opts.settleSec);
        this._disposer.defer(() => this._cancellable.cancel());
        this._disposer.defer(() => this._kept?.closeAll());
    }

    start(): void {
        const interval = this._opts.intervalMs ?? 1000;
        const id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, interval, () => {
            this._giveUpIfOverdue();
            this.sampleNow();
            return GLib.SOURCE_CONTINUE;
        });
        this._disposer.defer(() => GLib.source_remove(id));
        void this._discover().then(() => this.sampleNow());
    }

    stop(): void {
        this._disposer.dispose();
    }

    /** Takes a sample now, unless one is being read; then one more follows it. */
    sampleNow(): void {
        if (this._cancellable.is_cancelled())
            return;
        if (this._current !== null) {
            this._again = true;
            return;
        }
        this._begin();
    }

    private async _discover(): Promise<void> {
        const { root, uid, cgroups } = this._opts;
        if (!this._fsKnown) {
            const { keepFilesOpen, readParentFirst } = this._opts;
            const cgroup2 = keepFilesOpen === undefined || readParentFirst === undefined
                ? await filesystemType(root, this._cancellable) === 'cgroup2'
                : false;
            this._fsKnown = true;
            this._kept = (keepFilesOpen ?? cgroup2) ? new KeptFiles(MAX_KEPT_FILES) : null;
            this._readParentFirst = readParentFirst ?? cgroup2;
            // Stopped while asking: nothing more may be set up (no monitor after stop()).
            if (this._cancellable.is_cancelled())
                return;
        }
        if (cgroups && cgroups.length > 0) {
            this._paths = cgroups;
            this._reason = null;
        } else {
            const found = await discoverUserSlices(root, uid, this._cancellable);
            if (this._cancellable.is_cancelled())
                return;
            this._paths = found.ok ? found.value : [];
            this._reason = found.ok ? null : found.error.message;
        }
        this._parent = this._readParentFirst ? commonParent(this._paths) : null;
        this._quiet.reset();
        // What was read of slices no longer watched is forgotten.
        const watched = new Set(this._paths);
        for (const map of [this._lastPsi, this._pgscan]) {
            for (const path of [...map.keys()].filter(p => !watched.has(p)))
                map.delete(path);
        }
        // The kept files of slices no longer watched are closed.
        const dirs = new Set([...this._paths, ...this._parent === null ? [] : [this._parent]].map(path => `${root}${path}`));
        this._kept?.closeUnless(file => dirs.has(file.slice(0, file.lastIndexOf('/'))));
        this._rewatch();
    }

    /**
     * Starts every read of a sample at once. This runs every second, so it is written with callbacks and
     * a count of the reads still out, not promises: a sample costs the main loop its read completions
     * and nothing more (each promise layer was one more job to run, and garbage to collect).
     */
    private _begin(): void {
        this._ticks++;
        const now = GLib.get_monotonic_time();
        const sample: OpenSample = { time: now / 1e6, startedAt: now, readings: [], pending: 1, open: true };
        this._current = sample;
        sample.readings = this._paths.map(path => this._read(path, sample));
        // While a slice shows a stall average, its readings cannot stand whatever the parent says: the
        // slices are read at once, without it.
        if (this._parent !== null && this._paths.every(path => this._lastPsi.get(path)?.full.avg10 === 0))
            this._readParent(sample, this._parent);
        else
            this._readPressures(sample, null);
        this._answered(sample);
    }

    /**
     * Reads the slices' parent's memory.pressure: while it shows no stall since the slices last read 0.00,
     * their last readings go out again; otherwise their files are read now, after it.
     */
    private _readParent(sample: OpenSample, parent: string): void {
        this._start(sample, `${this._opts.root}${parent}/memory.pressure`, true, text => {
            const psi = text.ok ? parsePsi(text.value) : text;
            if (!psi.ok) {
                // Gone, unreadable or not a pressure file: the slices are read directly from now on (until
                // they are discovered anew). A read that is only slow is tried again.
                if (psi.error.code !== 'timeout')
                    this._parent = null;
                this._quiet.reset();
                this._readPressures(sample, null);
                return;
            }
            const reading: ParentReading = { time: GLib.get_monotonic_time() / 1e6, someTotal: psi.value.some.total };
            if (!this._quiet.parentRead(reading)) {
                this._readPressures(sample, reading);
                return;
            }
            for (const r of sample.readings) {
                const last = this._lastPsi.get(r.path);
                if (last !== undefined)
                    r.psi = ok(last);
            }
        });
    }

    /**
     * Reads every slice's memory.pressure; with `parent`, the reading of their parent just before, tells
     * the gate when all of them answered.
     */
    private _readPressures(sample: OpenSample, parent: ParentReading | null): void {
        let left = sample.readings.length;
        let allZero = true;
        for (const reading of sample.readings) {
            const file = `${this._opts.root}${reading.path}/memory.pressure`;
            this._start(sample, file, true, pressure => {
                reading.psi = pressure.ok ? parsePsi(pressure.value) : pressure;
                if (reading.psi.ok)
                    this._lastPsi.set(reading.path, reading.psi.value);
                allZero &&= reading.psi.ok && reading.psi.value.full.avg10 === 0;
                if (--left === 0 && parent !== null)
                    this._quiet.slicesRead(parent, allZero);
            });
        }
    }

    /** One read of `sample` answered (or the starting is over): the last one sends it out. */
    private _answered(sample: OpenSample): void {
        if (--sample.pending === 0)
            this._finish(sample);
    }

    /** Sends the sample out (once) and starts the one requested meanwhile, if any. */
    private _finish(sample: OpenSample): void {
        if (!sample.open)
            return;
        sample.open = false;
        this._current = null;
        if (this._cancellable.is_cancelled())
            return;
        this._opts.onSample({ time: sample.time, readings: sample.readings }, this._reason);
        if (this._again) {
            this._again = false;
            this._begin();
        }
    }

    /**
     * Called by the sampling timer. A read that never answers (a kernfs read stuck on a lock, a GIO
     * completion that is never dispatched) must not stop the sampling: past the limit the sample goes out
     * with what it has, and the files still being read are skipped by later samples until their read ends.
     */
    private _giveUpIfOverdue(): void {
        const limitUs = (this._opts.sampleLimitMs ?? SAMPLE_LIMIT_MS) * 1000;
        const sample = this._current;
        if (sample !== null && GLib.get_monotonic_time() - sample.startedAt >= limitUs)
            this._finish(sample);
    }

    /**
     * Starts the reads of one cgroup but its memory.pressure (`_readPressures`); the reading is filled in
     * as they answer, while the sample is still open (a late answer is not written into a sample that went
     * out).
     */
    private _read(path: string, sample: OpenSample): CgroupReading {
        const dir = `${this._opts.root}${path}`;
        const policy = this._opts.policyFor(path);
        const reading: CgroupReading = {
            path, policy, pgscan: this._pgscan.get(path) ?? null, oomKills: undefined,
            psi: fail('timeout', `${dir}/memory.pressure did not answer within ${(this._opts.sampleLimitMs ?? SAMPLE_LIMIT_MS) / 1000} s`),
        };
        // pgscan only matters to oomd's "reclaim in the last 30 s": it is read every few samples, and at
        // every sample while pressure is up in a slice near its limit; the last value stands in between.
        const near = (this._lastPsi.get(path)?.full.avg10 ?? 0) >= policy.limitPercent * HOT_SHARE_OF_LIMIT;
        if ((this.hot && near) || this._ticks % CALM_STAT_EVERY === 0 || !this._pgscan.has(path)) {
            this._start(sample, `${dir}/memory.stat`, true, stat => {
                const parsed = stat.ok ? parseKeyValues(stat.value) : null;
                reading.pgscan = parsed?.ok ? parsed.value.get('pgscan') ?? null : null;
                this._pgscan.set(path, reading.pgscan);
            });
        }
        // memory.events changes rarely and says so (a file monitor): it is read once, then on change.
        if (!this._eventsRead.has(path)) {
            this._eventsRead.add(path);
            this._start(sample, `${dir}/memory.events`, false, events => {
                const parsed = events.ok ? parseKeyValues(events.value) : null;
                reading.oomKills = parsed?.ok ? parsed.value.get('oom_kill') ?? null : undefined;
            });
        }
        return reading;
    }

    /**
     * Starts one read of `sample`: `use` gets the text if the sample is still open when it answers.
     * A file read every sample (`kept`) stays open on cgroupfs. A file whose earlier read has not answered
     * yet is not read again: this sample goes without it rather than tie up one more of GIO's worker
     * threads behind the same stuck file.
     */
    private _start(sample: OpenSample, path: string, kept: boolean, use: Done): void {
        if (this._reading.has(path)) {
            use(stillReading(path));
            return;
        }
        this._reading.add(path);
        sample.pending++;
        const done: Done = text => {
            this._reading.delete(path);
            if (sample.open)
                use(text);
            this._answered(sample);
        };
        const file = kept ? this._kept?.get(path) ?? null : null;
        if (file !== null)
            file.readThen(this._cancellable, done);
        else
            readTextThen(path, this._cancellable, done);
    }

    private _unwatch(): void {
        this._watch?.dispose();
        this._watch = null;
    }

    /** File monitors: slices appearing or vanishing, and each slice's memory events. */
    private _rewatch(): void {
        this._unwatch();
        const watcher = this._watch = this._disposer.child();
        const { root, uid, cgroups } = this._opts;

        if (!cgroups || cgroups.length === 0) {
            watch(watcher, `${root}${userManagerPath(uid)}`, 'directory', this._cancellable, event => {
                if (event === Gio.FileMonitorEvent.CREATED || event === Gio.FileMonitorEvent.DELETED)
                    void this._discover().then(() => this.sampleNow());
            });
        }
        for (const path of this._paths) {
            watch(watcher, `${root}${path}/memory.events`, 'file', this._cancellable, event => {
                if (event === Gio.FileMonitorEvent.CHANGED) {
                    this._eventsRead.delete(path);
                    this.sampleNow();
                }
            });
        }
    }
}
