// After oomd's Killed signal: watches the service that held the killed cgroup for a bounded time and
// tells whether systemd restarted it (src/core/restart.ts decides).
//
// The unit is found with Manager.GetUnit on its manager's bus and read at once (the baseline: NRestarts,
// ActiveState, SubState, ActiveEnterTimestampMonotonic, Id), then again on READ_SCHEDULE_SEC after the
// kill (1 s … 60 s) and whenever the unit's PropertiesChanged arrives. The signal alone cannot be relied
// on: a systemd manager only sends it while some client holds Manager.Subscribe on that bus, and nothing
// of Headroom's subscribes on the system bus; the timed reads cover that, the signal makes news quicker.
// The watch ends at the first outcome or at the end of the window; everything it made is undone through
// its Disposer (a child of the caller's), so disable() ends a watch in progress. Bus errors end in
// 'unknown' or a skipped read, never in an exception.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import type { Disposer } from '../core/disposer.js';
import {
    DEFAULT_RESTART_SETTINGS, judgeRestart, READ_SCHEDULE_SEC, type RestartOutcome, type RestartSettings, type UnitSample,
} from '../core/restart.js';
import {
    boxedOf, call, objectPathOf, PROPERTIES, stringOf, SYSTEMD_MANAGER, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_UNIT, uint64Of,
} from './oomd-dbus.js';

const SYSTEMD_SERVICE = 'org.freedesktop.systemd1.Service';

export interface RestartWatchOptions {
    /** The bus of the unit's manager: the session bus for the user's units, the system bus for PID 1's. */
    bus: Gio.DBusConnection;
    /** The unit's name, e.g. `jellyfin.service`. */
    unit: string;
    /** When the kill was heard, monotonic seconds (GLib.get_monotonic_time() / 1e6). */
    killTime: number;
    /** The caller's disposer: the watch registers its timer, subscription and cancellable on a child of it. */
    disposer: Disposer;
    /** Called once, unless the watch is stopped first; `unit` is the unit's Id as systemd names it. */
    onOutcome: (outcome: RestartOutcome, unit: string) => void;
    /** Told what onOutcome threw, so that nothing escapes into the main loop. */
    onError?: (error: unknown) => void;
    /** Seconds after the kill at which the unit is read again (tests shorten it). */
    schedule?: readonly number[];
    settings?: RestartSettings;
}

export class RestartWatch {
    private readonly _disposer: Disposer;
    private readonly _cancellable = new Gio.Cancellable();
    private readonly _samples: UnitSample[] = [];
    private _path: string | null = null;
    private _id: string;
    private _timer: number | null = null;
    private _reading = false;
    private _again = false;
    private _done = false;

    constructor(private readonly _opts: RestartWatchOptions) {
        this._id = _opts.unit;
        this._disposer = _opts.disposer.child();
        this._disposer.defer(() => {
            this._done = true;
            this._cancellable.cancel();
            this._clearTimer();
        });
    }

    /** Finds the unit, reads the baseline and starts watching. */
    start(): void {
        void this._start();
    }

    /** Ends the watch without an outcome. */
    stop(): void {
        this._disposer.dispose();
    }

    private async _start(): Promise<void> {
        const { bus, unit } = this._opts;
        const reply = await call({
            bus, name: SYSTEMD_NAME, path: SYSTEMD_PATH, iface: SYSTEMD_MANAGER, method: 'GetUnit',
            params: new GLib.Variant('(s)', [unit]), reply: '(o)', what: `asking systemd about ${unit}`,
        }, this._cancellable);
        if (this._done)
            return;
        const path = reply.ok ? objectPathOf(reply.value) : null;
        if (path === null) {
            this._finish('unknown'); // not loaded, or no manager answering: nothing to tell
            return;
        }
        this._path = path;
        const id = bus.signal_subscribe(SYSTEMD_NAME, PROPERTIES, 'PropertiesChanged', path, null,
            Gio.DBusSignalFlags.NONE, () => {
                if (!this._done)
                    void this._read();
            });
        this._disposer.defer(() => bus.signal_unsubscribe(id));
        await this._read();
    }

    private async _read(): Promise<void> {
        if (this._reading) {
            this._again = true;
            return;
        }
        this._reading = true;
        try {
            do {
                this._again = false;
                const sample = await this._sample();
                if (this._done)
                    return;
                if (sample)
                    this._samples.push(sample);
            } while (this._again);
        } finally {
            this._reading = false;
        }
        this._judge();
    }

    private _judge(): void {
        const now = GLib.get_monotonic_time() / 1e6;
        const outcome = judgeRestart(this._opts.killTime, this._samples, now,
            this._opts.settings ?? DEFAULT_RESTART_SETTINGS);
        if (outcome !== null)
            this._finish(outcome);
        else
            this._schedule(now);
    }

    /** One read of the unit; null when its state could not be read (the next read may do better). */
    private async _sample(): Promise<UnitSample | null> {
        const path = this._path as string;
        const get = (iface: string, name: string) => call({
            bus: this._opts.bus, name: SYSTEMD_NAME, path, iface: PROPERTIES, method: 'Get',
            params: new GLib.Variant('(ss)', [iface, name]), reply: '(v)', what: `reading ${name} of ${this._id}`,
        }, this._cancellable).then(r => (r.ok ? boxedOf(r.value) : null));
        const first = this._samples.length === 0;
        const [active, sub, enter, restarts, id] = await Promise.all([
            get(SYSTEMD_UNIT, 'ActiveState'), get(SYSTEMD_UNIT, 'SubState'),
            get(SYSTEMD_UNIT, 'ActiveEnterTimestampMonotonic'), get(SYSTEMD_SERVICE, 'NRestarts'),
            first ? get(SYSTEMD_UNIT, 'Id') : Promise.resolve(null),
        ]);
        const activeState = stringOf(active);
        const subState = stringOf(sub);
        if (activeState === null || subState === null)
            return null;
        this._id = stringOf(id) ?? this._id;
        const enterUs = uint64Of(enter);
        return {
            time: GLib.get_monotonic_time() / 1e6,
            activeState,
            subState,
            nRestarts: restarts?.get_type_string() === 'u' ? restarts.get_uint32() : null,
            activeEnter: enterUs === null || enterUs === 0n ? null : Number(enterUs) / 1e6,
        };
    }

    /** The next timed read: the first point of the schedule still ahead, or the end of the window. */
    private _schedule(now: number): void {
        this._clearTimer();
        const elapsed = now - this._opts.killTime;
        const window = (this._opts.settings ?? DEFAULT_RESTART_SETTINGS).windowSec;
        const at = [...(this._opts.schedule ?? READ_SCHEDULE_SEC), window].find(s => s > elapsed) ?? window;
        const ms = Math.max(0, Math.ceil((at - elapsed) * 1000));
        this._timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            this._timer = null;
            if (!this._done)
                void this._read();
            return GLib.SOURCE_REMOVE;
        });
    }

    private _finish(outcome: RestartOutcome): void {
        if (this._done)
            return;
        const id = this._id;
        this._disposer.dispose();
        try {
            this._opts.onOutcome(outcome, id);
        } catch (error) {
            this._opts.onError?.(error);
        }
    }

    private _clearTimer(): void {
        if (this._timer !== null) {
            GLib.source_remove(this._timer);
            this._timer = null;
        }
    }
}
