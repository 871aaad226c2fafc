// systemd-oomd as Headroom sees it (notes §5, §7, §8):
//
//  * discoverOomd(): what oomd watches and with which limits. First choice is oomd's own dump
//    (org.freedesktop.oom1.Manager.DumpByFileDescriptor on the system bus, open to every user): the
//    numbers oomd really applies. When that fails but oomd runs, the unit properties of the user
//    manager's slices and of system.slice (org.freedesktop.systemd1) plus the defaults of oomd.conf and
//    its drop-ins. When oomd does not run, a failure that says so.
//  * OomdWatcher: oomd's Killed signal, oomd starting and stopping (NameOwnerChanged), and slices of
//    the user manager appearing, going or being reloaded, each change debounced into one callback.
//  * readOomdHistory(): oomd's kills of the last days from the journal (journalctl, asynchronously).
//
// Everything is asynchronous and cancellable, and returns Results with words a user can read; every
// subscription the watcher makes is undone through its Disposer.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { Disposer } from '../core/disposer.js';
import { JOURNAL_ARGS, parseOomdKills, type OomdKill } from '../core/journal.js';
import {
    durationFromDbus, effectivePolicy, limitFromDbus, mergeOomdConf, OOMD_CONF_DIRS, OOMD_CONF_DROPIN_DIRS,
    type OomdConf, type OomdConfFile, type PolicySource,
} from '../core/oomd-config.js';
import { parseOomdDump, type OomdDump } from '../core/oomd-dump.js';
import type { OomdPolicy } from '../core/oomd.js';
import { fail, ok, type Failure, type Result } from '../core/result.js';
import { isDirectory, listChildren, readText } from './files.js';
import {
    boxedOf, call, callWithFds, CALL_TIMEOUT_MS, closeFd, lookup, objectPathOf, PROPERTIES, readFdText, stringOf,
    SYSTEMD_MANAGER, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_UNIT, uint32Of, uint64Of,
} from './oomd-dbus.js';
import { run } from './subprocess.js';

export const OOM1_NAME = 'org.freedesktop.oom1';
export const OOM1_PATH = '/org/freedesktop/oom1';
export const OOM1_MANAGER = 'org.freedesktop.oom1.Manager';
const SYSTEMD_SLICE = 'org.freedesktop.systemd1.Slice';
const OOMD_UNIT = 'systemd-oomd.service';

/** oomd's dump is a few KiB per hundred cgroups; anything beyond this is not a dump. */
const DUMP_MAX_BYTES = 4 * 1024 * 1024;

export const OOMD_NOT_RUNNING = "systemd-oomd is not running: only the kernel's OOM killer acts";

// ---- discovery -----------------------------------------------------------------------------------------

export interface OomdMonitored {
    /** cgroup path below the cgroup2 mount, e.g. `/user.slice/user-1000.slice/user@1000.service/app.slice`. */
    path: string;
    policy: OomdPolicy;
    /** The unit, when the numbers came from its properties (`app.slice`, `system.slice`). */
    unit?: string;
}

export interface Discovery {
    /** Where the numbers came from, for the menu. */
    source: Exclude<PolicySource, 'settings'>;
    /** The cgroups oomd watches for memory pressure, each with its limit and duration. */
    monitored: OomdMonitored[];
    /** What a cgroup without its own limit or duration gets. */
    defaults: OomdPolicy;
    swapUsedLimitPercent: number | null;
    /** oomd only logs what it would kill (its dump says "Dry Run: yes"); null when not known. */
    dryRun: boolean | null;
    /** Things worth telling the user about how the numbers were found (a fallback, a cut-off dump). */
    notes: string[];
}

export interface DiscoverOptions {
    systemBus: Gio.DBusConnection;
    /** The bus of the user's systemd manager (the session bus). */
    userBus: Gio.DBusConnection;
    /** Prefix for the oomd.conf paths: '' in production, a fixture directory in tests. */
    confRoot?: string;
    /** Unit names of the user manager's slices (`app.slice`, `session.slice`, …). */
    userSlices: string[];
    cancellable: Gio.Cancellable | null;
}

/**
 * Finds out what systemd-oomd watches and with which limits. Failures: `not-running` (with
 * OOMD_NOT_RUNNING as the message), `cancelled`, `unavailable` (oomd runs, but neither its dump nor
 * the unit properties could be read).
 */
export async function discoverOomd(opts: DiscoverOptions): Promise<Result<Discovery>> {
    const { systemBus, cancellable } = opts;
    const confRoot = opts.confRoot ?? '';

    const dump = await readOomdDump(systemBus, cancellable);
    if (dump.ok)
        return ok(await fromDump(dump.value, confRoot, cancellable));
    if (dump.error.code === 'cancelled')
        return dump;

    // No dump. Ask systemd whether oomd runs at all before reading unit settings nobody acts on.
    const state = await unitActiveState(systemBus, OOMD_UNIT, cancellable);
    if (!state.ok && state.error.code === 'cancelled')
        return state;
    if (state.ok && !isRunning(state.value))
        return fail('not-running', OOMD_NOT_RUNNING);
    if (!state.ok && dump.error.code === 'no-service')
        return fail('not-running', OOMD_NOT_RUNNING); // no oom1 name, and systemd cannot say otherwise

    const notes = [`systemd-oomd did not report its limits (${dump.error.message}); ` +
        'they come from the settings of the slices instead'];
    return fromUnits(opts, confRoot, notes);
}

function isRunning(activeState: string): boolean {
    return ['active', 'reloading', 'activating', 'refreshing'].includes(activeState);
}

/** oomd's dump, read from the descriptor DumpByFileDescriptor returns, and parsed. */
export async function readOomdDump(systemBus: Gio.DBusConnection, cancellable: Gio.Cancellable | null):
    Promise<Result<OomdDump>> {
    const what = 'asking systemd-oomd for its state';
    const reply = await callWithFds({
        bus: systemBus, name: OOM1_NAME, path: OOM1_PATH, iface: OOM1_MANAGER,
        method: 'DumpByFileDescriptor', reply: '(h)', what,
    }, cancellable);
    if (!reply.ok)
        return reply;

    const { fds } = reply.value;
    const index = reply.value.reply.get_child_value(0).get_handle();
    const fd = fds[index];
    // Every descriptor received is ours to close: the one read is closed by readFdText.
    fds.forEach((other, i) => {
        if (i !== index)
            closeFd(other);
    });
    if (fd === undefined)
        return fail('malformed', `${what}: the answer carried no file descriptor`);

    const text = await readFdText(fd, DUMP_MAX_BYTES, cancellable);
    if (!text.ok) {
        return text.error.code === 'cancelled'
            ? fail('cancelled', `${what} was cancelled`)
            : fail(text.error.code, `reading systemd-oomd's state: ${text.error.message}`);
    }
    return parseOomdDump(text.value);
}

async function fromDump(dump: OomdDump, confRoot: string, cancellable: Gio.Cancellable | null): Promise<Discovery> {
    const notes: string[] = [];
    let defaults: OomdPolicy | null = dump.defaultLimitPercent !== null && dump.defaultDurationSec !== null
        ? { limitPercent: dump.defaultLimitPercent, durationSec: dump.defaultDurationSec }
        : null;
    if (!defaults) {
        // A dump cut off before its header values: take the defaults from oomd.conf.
        const conf = await readOomdConf(confRoot, cancellable, notes);
        defaults = {
            limitPercent: dump.defaultLimitPercent ?? conf.defaultLimitPercent,
            durationSec: dump.defaultDurationSec ?? conf.defaultDurationSec,
        };
    }
    if (dump.truncated)
        notes.push("systemd-oomd's report was cut short: some watched cgroups may be missing");
    const fallback = defaults;
    return {
        source: 'oomd-dump',
        monitored: dump.pressureCgroups.map(c => ({
            path: c.path,
            policy: { limitPercent: c.limitPercent, durationSec: c.durationSec ?? fallback.durationSec },
        })),
        defaults,
        swapUsedLimitPercent: dump.swapUsedLimitPercent,
        dryRun: dump.dryRun,
        notes,
    };
}

async function fromUnits(opts: DiscoverOptions, confRoot: string, notes: string[]): Promise<Result<Discovery>> {
    const { cancellable } = opts;
    const confNotes: string[] = [];
    const units = [
        ...[...new Set(opts.userSlices)].map(name => ({ bus: opts.userBus, name })),
        { bus: opts.systemBus, name: 'system.slice' },
    ];
    const [conf, ...slices] = await Promise.all([
        readOomdConf(confRoot, cancellable, confNotes),
        ...units.map(u => readSliceOom(u.bus, u.name, cancellable)),
    ]);
    if (cancellable?.is_cancelled())
        return fail('cancelled', "finding systemd-oomd's limits was cancelled");

    const defaults: OomdPolicy = { limitPercent: conf.defaultLimitPercent, durationSec: conf.defaultDurationSec };
    const monitored: OomdMonitored[] = [];
    const errors: Failure[] = [];
    let answered = 0;
    for (const slice of slices) {
        if (!slice.ok) {
            if (slice.error.code === 'no-unit') {
                answered++; // a slice that is not loaded: oomd does not watch it
            } else {
                errors.push(slice.error);
            }
            continue;
        }
        answered++;
        const s = slice.value;
        if (s.mode !== 'kill' || !s.cgroup)
            continue;
        monitored.push({
            path: s.cgroup,
            unit: s.unit,
            policy: effectivePolicy({ limit: s.limit, durationSec: s.durationSec }, conf),
        });
    }
    if (answered === 0) {
        const reason = errors[0]?.message ?? 'no slices to ask about';
        return fail('unavailable', `Headroom cannot learn systemd-oomd's limits: ${reason}`);
    }
    notes.push(...errors.map(e => e.message), ...confNotes);
    return ok({
        source: 'unit-properties',
        monitored,
        defaults,
        swapUsedLimitPercent: conf.swapUsedLimitPercent,
        dryRun: null,
        notes,
    });
}

interface SliceOom {
    unit: string;
    /** ControlGroup; '' while the slice has no cgroup (inactive). */
    cgroup: string;
    /** ManagedOOMMemoryPressure: 'auto' or 'kill'. */
    mode: string;
    /** Percent, or null for oomd's default. */
    limit: number | null;
    /** Seconds, or null for oomd's default (also on systemd < 257, which has no such property). */
    durationSec: number | null;
}

async function unitPath(bus: Gio.DBusConnection, unit: string, cancellable: Gio.Cancellable | null,
    what: string): Promise<Result<string>> {
    const reply = await call({
        bus, name: SYSTEMD_NAME, path: SYSTEMD_PATH, iface: SYSTEMD_MANAGER, method: 'GetUnit',
        params: new GLib.Variant('(s)', [unit]), reply: '(o)', what,
    }, cancellable);
    if (!reply.ok)
        return reply;
    const path = objectPathOf(reply.value);
    return path ? ok(path) : fail('malformed', `${what}: no object path in the answer`);
}

/** The oomd settings of one slice, from GetUnit + Properties.GetAll(org.freedesktop.systemd1.Slice). */
async function readSliceOom(bus: Gio.DBusConnection, unit: string, cancellable: Gio.Cancellable | null):
    Promise<Result<SliceOom>> {
    const what = `asking systemd about ${unit}`;
    const path = await unitPath(bus, unit, cancellable, what);
    if (!path.ok)
        return path;
    const reply = await call({
        bus, name: SYSTEMD_NAME, path: path.value, iface: PROPERTIES, method: 'GetAll',
        params: new GLib.Variant('(s)', [SYSTEMD_SLICE]), reply: '(a{sv})', what,
    }, cancellable);
    if (!reply.ok)
        return reply;
    const dict = reply.value.get_child_value(0);
    const duration = uint64Of(lookup(dict, 'ManagedOOMMemoryPressureDurationUSec', 't'));
    return ok({
        unit,
        cgroup: stringOf(lookup(dict, 'ControlGroup', 's')) ?? '',
        mode: stringOf(lookup(dict, 'ManagedOOMMemoryPressure', 's')) ?? 'auto',
        limit: limitFromDbus(uint32Of(lookup(dict, 'ManagedOOMMemoryPressureLimit', 'u')) ?? 0),
        durationSec: duration === null ? null : durationFromDbus(duration),
    });
}

/** A unit's ActiveState; `inactive` for a unit systemd has not loaded. */
async function unitActiveState(bus: Gio.DBusConnection, unit: string, cancellable: Gio.Cancellable | null):
    Promise<Result<string>> {
    const what = `asking systemd about ${unit}`;
    const path = await unitPath(bus, unit, cancellable, what);
    if (!path.ok)
        return path.error.code === 'no-unit' ? ok('inactive') : path;
    const reply = await call({
        bus, name: SYSTEMD_NAME, path: path.value, iface: PROPERTIES, method: 'Get',
        params: new GLib.Variant('(ss)', [SYSTEMD_UNIT, 'ActiveState']), reply: '(v)', what,
    }, cancellable);
    if (!reply.ok)
        return reply;
    const state = stringOf(boxedOf(reply.value));
    return state === null ? fail('malformed', `${what}: no ActiveState`) : ok(state);
}

// ---- oomd.conf -----------------------------------------------------------------------------------------

/**
 * oomd's configuration as oomd itself would read it: the first oomd.conf of OOMD_CONF_DIRS and the
 * `*.conf` drop-ins of OOMD_CONF_DROPIN_DIRS under `confRoot`, merged by core's mergeOomdConf (which
 * applies systemd's precedence). Files that are missing are skipped; unreadable ones and systemd's
 * own warnings about their contents are added to `notes`. Never fails: without files, the upstream
 * defaults.
 */
export async function readOomdConf(confRoot: string, cancellable: Gio.Cancellable | null,
    notes: string[] = []): Promise<OomdConf> {
    const reads: Promise<OomdConfFile | null>[] = [];
    const readOne = async (dir: string, name: string): Promise<OomdConfFile | null> => {
        const text = await readText(`${confRoot}${dir}/${name}`, cancellable);
        if (text.ok)
            return { dir, name, text: text.value };
        if (text.error.code !== 'missing' && text.error.code !== 'cancelled')
            notes.push(text.error.message);
        return null;
    };
    for (const dir of OOMD_CONF_DIRS)
        reads.push(readOne(dir, 'oomd.conf'));

    const listings = await Promise.all(OOMD_CONF_DROPIN_DIRS.map(async dir => ({
        dir,
        listing: await listChildren(`${confRoot}${dir}`, 'standard::name,standard::type', cancellable),
    })));
    for (const { dir, listing } of listings) {
        if (!listing.ok) {
            if (listing.error.code !== 'missing' && listing.error.code !== 'cancelled')
                notes.push(listing.error.message);
            continue;
        }
        // Symbolic links count (a link to /dev/null masks a drop-in of the same name); directories do not.
        for (const info of listing.value) {
            const name = info.get_name();
            if (name.endsWith('.conf') && !isDirectory(info))
                reads.push(readOne(dir, name));
        }
    }
    const files = (await Promise.all(reads)).filter((f): f is OomdConfFile => f !== null);
    return mergeOomdConf(files, notes);
}

// ---- watching ------------------------------------------------------------------------------------------

/** Why discovery should run again. */
export type OomdChange = 'oomd-started' | 'oomd-stopped' | 'units';

export interface OomdWatcherOptions {
    systemBus: Gio.DBusConnection;
    /** The user manager's bus; null to watch oomd only. */
    userBus: Gio.DBusConnection | null;
    /** oomd killed a cgroup (all its processes); `reason` is `memory-pressure`, `memory-used`, or newer. */
    onKilled: (cgroup: string, reason: string) => void;
    /** Something that changes what oomd watches happened; called once per burst, `debounceMs` after its start. */
    onChanged: (reasons: OomdChange[]) => void;
    /** Quiet time before onChanged, ms (1000 by default). */
    debounceMs?: number;
    onError?: (error: unknown) => void;
}

/** The escaped tail systemd gives the object path of every slice unit (bus_label_escape of ".slice"). */
const SLICE_PATH_SUFFIX = '_2eslice';

/**
 * Listens to systemd-oomd and the user's systemd manager. start() subscribes, stop() undoes every
 * subscription; a stopped watcher calls nothing.
 *
 * The Killed signal is matched on the sender `org.freedesktop.oom1`, so only the owner of that name
 * (which the system bus policy reserves for oomd) is heard. systemd managers only broadcast unit
 * signals while some client is subscribed, so the watcher calls Manager.Subscribe on the user bus,
 * and Unsubscribe on stop() if the subscription was its own (a second Subscribe from the same
 * connection fails with AlreadySubscribed: then another part of the process holds it).
 */
export class OomdWatcher {
    private readonly _disposer: Disposer;
    private _stopped = false;
    private _started = false;
    private _timer: number | null = null;
    private _pending: OomdChange[] = [];

    constructor(private readonly _opts: OomdWatcherOptions) {
        this._disposer = new Disposer(_opts.onError);
        this._disposer.defer(() => this._clearTimer());
    }

    start(): void {
        if (this._started || this._stopped)
            return;
        this._started = true;
        const { systemBus, userBus } = this._opts;

        this._subscribe(systemBus, OOM1_NAME, OOM1_MANAGER, 'Killed', OOM1_PATH, null, (_path, params) => {
            if (params.get_type_string() !== '(ss)')
                return;
            const cgroup = stringOf(params.get_child_value(0)) ?? '';
            const reason = stringOf(params.get_child_value(1)) ?? '';
            if (cgroup.startsWith('/'))
                this._opts.onKilled(cgroup, reason);
        });
        this._subscribe(systemBus, 'org.freedesktop.DBus', 'org.freedesktop.DBus', 'NameOwnerChanged',
            '/org/freedesktop/DBus', OOM1_NAME, (_path, params) => {
                if (params.get_type_string() !== '(sss)')
                    return;
                const owner = stringOf(params.get_child_value(2)) ?? '';
                this._changed(owner === '' ? 'oomd-stopped' : 'oomd-started');
            });

        if (!userBus)
            return;
        const onUnit = (_path: string, params: GLib.Variant) => {
            if (params.get_type_string() === '(so)' && (stringOf(params.get_child_value(0)) ?? '').endsWith('.slice'))
                this._changed('units');
        };
        this._subscribe(userBus, SYSTEMD_NAME, SYSTEMD_MANAGER, 'UnitNew', SYSTEMD_PATH, null, onUnit);
        this._subscribe(userBus, SYSTEMD_NAME, SYSTEMD_MANAGER, 'UnitRemoved', SYSTEMD_PATH, null, onUnit);
        // Reloading(false): a daemon-reload finished, so ManagedOOM* settings may be new.
        this._subscribe(userBus, SYSTEMD_NAME, SYSTEMD_MANAGER, 'Reloading', SYSTEMD_PATH, null, (_path, params) => {
            if (params.get_type_string() === '(b)' && !params.get_child_value(0).get_boolean())
                this._changed('units');
        });
        // A slice starting or stopping (its Unit or Slice properties change); other units are ignored.
        this._subscribe(userBus, SYSTEMD_NAME, PROPERTIES, 'PropertiesChanged', null, null, (path, params) => {
            if (!path.endsWith(SLICE_PATH_SUFFIX) || params.get_type_string() !== '(sa{sv}as)')
                return;
            const iface = stringOf(params.get_child_value(0));
            if (iface === SYSTEMD_UNIT || iface === SYSTEMD_SLICE)
                this._changed('units');
        });
        this._subscribeManager(userBus);
    }

    stop(): void {
        this._stopped = true;
        this._disposer.dispose();
    }

    private _subscribe(bus: Gio.DBusConnection, sender: string, iface: string, member: string, path: string | null,
        arg0: string | null, handler: (path: string, params: GLib.Variant) => void): void {
        const id = bus.signal_subscribe(sender, iface, member, path, arg0, Gio.DBusSignalFlags.NONE,
            (_conn, _sender, objectPath, _iface, _member, params) => {
                if (this._stopped)
                    return;
                try {
                    handler(objectPath, params);
                } catch (error) {
                    this._opts.onError?.(error);
                }
            });
        this._disposer.defer(() => bus.signal_unsubscribe(id));
    }

    private _subscribeManager(bus: Gio.DBusConnection): void {
        const manager = (method: string, done: (error: unknown) => void) => {
            try {
                bus.call(SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, method, null, null,
                    Gio.DBusCallFlags.NO_AUTO_START, CALL_TIMEOUT_MS, null, (_c, res) => {
                        try {
                            bus.call_finish(res);
                            done(null);
                        } catch (error) {
                            done(error);
                        }
                    });
            } catch (error) {
                done(error);
            }
        };
        // Not cancelled on stop(): the answer decides whether an Unsubscribe is owed.
        manager('Subscribe', error => {
            if (error)
                return; // AlreadySubscribed, or no user manager: nothing of ours to undo
            const unsubscribe = () => manager('Unsubscribe', () => undefined);
            if (this._stopped)
                unsubscribe();
            else
                this._disposer.defer(unsubscribe);
        });
    }

    private _changed(reason: OomdChange): void {
        if (this._stopped)
            return;
        this._pending.push(reason);
        // The first change of a burst starts the wait and later ones join it, so a steady trickle
        // of changes cannot postpone re-discovery for ever.
        if (this._timer !== null)
            return;
        this._timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, this._opts.debounceMs ?? 1000, () => {
            this._timer = null;
            const reasons = [...new Set(this._pending)];
            this._pending = [];
            if (!this._stopped) {
                try {
                    this._opts.onChanged(reasons);
                } catch (error) {
                    this._opts.onError?.(error);
                }
            }
            return GLib.SOURCE_REMOVE;
        });
    }

    private _clearTimer(): void {
        if (this._timer !== null) {
            GLib.source_remove(this._timer);
            this._timer = null;
        }
    }
}

// ---- history -------------------------------------------------------------------------------------------

const JOURNAL_PREFIX = 'Headroom cannot read the system journal';
export const JOURNAL_NO_ACCESS =
    `${JOURNAL_PREFIX}: no permission (members of the systemd-journal, adm or wheel group may read it)`;

export interface HistoryOptions {
    /** How far back, days (7 by default). */
    days?: number;
    timeoutMs?: number;
}

/**
 * oomd's kills of the last days, oldest first, from `journalctl` run asynchronously. Failures:
 * `no-access` (JOURNAL_NO_ACCESS), `no-journal`, `not-found` (no journalctl), `timeout`,
 * `cancelled`, `failed`; every message but `cancelled` starts with "Headroom cannot read the system
 * journal: ".
 *
 * core's JOURNAL_ARGS pass --quiet, which also silences journalctl's only sign of a user who may not
 * read the system journal (exit 0, no entries, a "Hint: You are currently not seeing messages from
 * other users and the system" on stderr). So --quiet is left out here, the hint is read from stderr,
 * and the "-- No entries --" line it lets through is dropped.
 */
export async function readOomdHistory(cancellable: Gio.Cancellable | null, options: HistoryOptions = {}):
    Promise<Result<OomdKill[]>> {
    const argv = historyArgv(options.days ?? 7);
    const timeoutMs = options.timeoutMs ?? 20000;
    const r = await run(argv, timeoutMs, cancellable);
    if (!r.ok)
        return journalFailure(r.error, timeoutMs);

    const { stdout, stderr } = r.value;
    const entries = stdout.split('\n').filter(line => !line.startsWith('-- ')).join('\n');
    const { kills } = parseOomdKills(entries);
    if (kills.length === 0) {
        if (/not seeing messages from (other users and )?the system|insufficient permissions/i.test(stderr))
            return fail('no-access', JOURNAL_NO_ACCESS);
        if (/No journal files were found/i.test(stderr))
            return fail('no-journal', `${JOURNAL_PREFIX}: no journal files were found`);
    }
    return ok(kills);
}

/** The command line readOomdHistory runs: core's JOURNAL_ARGS without --quiet. */
export function historyArgv(days: number): string[] {
    return JOURNAL_ARGS(days).filter(arg => arg !== '--quiet' && arg !== '-q');
}

function journalFailure(error: Failure, timeoutMs: number): { ok: false; error: Failure } {
    const text = error.message;
    switch (error.code) {
    case 'cancelled':
        return fail('cancelled', 'reading the journal was cancelled');
    case 'not-found':
        return fail('not-found', `${JOURNAL_PREFIX}: journalctl is not installed`);
    case 'timeout':
        return fail('timeout', `${JOURNAL_PREFIX}: journalctl did not answer within ${Math.round(timeoutMs / 1000)} s`);
    default:
        break;
    }
    if (/insufficient permissions|permission denied|not seeing messages from/i.test(text))
        return fail('no-access', JOURNAL_NO_ACCESS);
    if (/No journal files were found/i.test(text))
        return fail('no-journal', `${JOURNAL_PREFIX}: no journal files were found`);
    return fail('failed', `${JOURNAL_PREFIX}: ${text}`);
}
