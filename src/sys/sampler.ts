// Samples the monitored cgroups once a second, the cadence of systemd-oomd: every slice's
// memory.pressure and memory.stat, read asynchronously and together. PSI files emit no change events,
// so they are polled; a file monitor on each slice's memory.events wakes an extra sample when the
// kernel reports high/max/oom_kill events, and one on the user manager's directory notices slices
// that appear or go away.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { Disposer } from '../core/disposer.js';
import { SerialTask } from '../core/serial.js';
import type { CgroupReading, MonitoredCgroup, Sample } from '../core/engine.js';
import { parseKeyValues } from '../core/keyvalue.js';
import { parsePsi } from '../core/psi.js';
import { discoverUserSlices, userManagerPath } from './cgroups.js';
import { readText } from './files.js';
import { watch } from './monitor.js';

/** While pressure is low, memory.stat is read every this many samples. */
const CALM_STAT_EVERY = 5;

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
}

export class PressureSampler {
    private readonly _disposer: Disposer;
    private readonly _cancellable = new Gio.Cancellable();
    private _watch: Disposer | null = null;
    private _paths: string[] = [];
    private _reason: string | null = null;
    private readonly _sampling = new SerialTask(() => this._sample());
    /** The last pgscan read per slice. */
    private readonly _pgscan = new Map<string, number | null>();
    private _ticks = 0;
    /** Pressure is up somewhere: read everything on every sample. */
    hot = false;
    /** Slices whose memory.events was read and has not changed since. */
    private readonly _eventsRead = new Set<string>();

    constructor(private readonly _opts: SamplerOptions) {
        this._disposer = new Disposer(_opts.onError);
        this._disposer.defer(() => this._cancellable.cancel());
    }

    start(): void {
        const interval = this._opts.intervalMs ?? 1000;
        const id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, interval, () => {
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
        if (!this._cancellable.is_cancelled())
            this._sampling.request();
    }

    private async _discover(): Promise<void> {
        const { root, uid, cgroups } = this._opts;
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
        this._rewatch();
    }

    private async _sample(): Promise<void> {
        const time = GLib.get_monotonic_time() / 1e6;
        this._ticks++;
        const readings = await Promise.all(this._paths.map(path => this._read(path)));
        if (this._cancellable.is_cancelled())
            return;
        this._opts.onSample({ time, readings }, this._reason);
    }

    private async _read(path: string): Promise<CgroupReading> {
        const dir = `${this._opts.root}${path}`;
        // pgscan only matters to oomd's "reclaim in the last 30 s": while pressure is low it is read
        // every few samples, and the last value stands in between.
        const readStat = this.hot || this._ticks % CALM_STAT_EVERY === 0 || !this._pgscan.has(path);
        // memory.events changes rarely and says so (a file monitor): it is read once, then on change.
        const eventsChanged = !this._eventsRead.has(path);
        this._eventsRead.add(path);
        const [pressure, stat, events] = await Promise.all([
            readText(`${dir}/memory.pressure`, this._cancellable),
            readStat ? readText(`${dir}/memory.stat`, this._cancellable) : null,
            eventsChanged ? readText(`${dir}/memory.events`, this._cancellable) : null,
        ]);
        if (stat) {
            const parsed = stat.ok ? parseKeyValues(stat.value) : null;
            this._pgscan.set(path, parsed?.ok ? parsed.value.get('pgscan') ?? null : null);
        }
        const parsedEvents = events?.ok ? parseKeyValues(events.value) : null;
        return {
            path,
            policy: this._opts.policyFor(path),
            psi: pressure.ok ? parsePsi(pressure.value) : pressure,
            pgscan: this._pgscan.get(path) ?? null,
            oomKills: parsedEvents?.ok ? parsedEvents.value.get('oom_kill') ?? null : undefined,
        };
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
