// Adapter tests for src/sys/restart.ts under real GJS, on the private buses test/adapters/oomd.test.ts
// starts: test/dbus/fake-systemd.js as PID 1 on the "system" bus and as the user manager on the "user"
// bus, driven through its SetUnitState to take a service down, through auto-restart and up again.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { Disposer } from '../../src/core/disposer.js';
import type { RestartOutcome, RestartSettings } from '../../src/core/restart.js';
import { RestartWatch } from '../../src/sys/restart.js';
import { assert, assertEqual, env, run, sleep, test, waitFor } from './harness.js';

const FLAGS = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION;
const connect = (address: string) => Gio.DBusConnection.new_for_address_sync(address, FLAGS, null, null);
const systemBus = connect(env('HEADROOM_SYSTEM_BUS'));
const userBus = connect(env('HEADROOM_USER_BUS'));
const lonelyBus = connect(env('HEADROOM_LONELY_BUS'));

function fake(bus: Gio.DBusConnection, method: string, params: GLib.Variant): void {
    const name = 'org.headroom.Test.FakeSystemd';
    bus.call_sync(name, '/org/headroom/Test', name, method, params, null, Gio.DBusCallFlags.NONE, 5000, null);
}

function units(bus: Gio.DBusConnection, list: Record<string, Record<string, unknown>>): void {
    fake(bus, 'SetUnits', new GLib.Variant('(s)', [JSON.stringify(list)]));
}

/** Changes a unit's state in the fake manager; with `signal`, it sends PropertiesChanged as systemd does. */
function state(bus: Gio.DBusConnection, unit: string, change: Record<string, unknown>, signal = false): void {
    fake(bus, 'SetUnitState', new GLib.Variant('(ssb)', [unit, JSON.stringify(change), signal]));
}

/** Short reads, hold and window, so that a test takes seconds, not a minute; the window leaves room for a
 *  loaded machine (a test that needs its end sets a shorter one). */
const FAST: { schedule: number[]; settings: RestartSettings } = {
    schedule: [0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 3, 4, 6, 8],
    settings: { windowSec: 10, holdSec: 0.5 },
};

interface Watched {
    watch: RestartWatch;
    parent: Disposer;
    outcomes: [RestartOutcome, string][];
    errors: unknown[];
    started: number;
}

function watch(bus: Gio.DBusConnection, unit: string, timing: Partial<typeof FAST> = FAST,
    onOutcome?: () => void): Watched {
    const parent = new Disposer();
    const started = GLib.get_monotonic_time() / 1e6;
    const w: Watched = { watch: null as unknown as RestartWatch, parent, outcomes: [], errors: [], started };
    w.watch = new RestartWatch({
        bus, unit, killTime: started, disposer: parent, ...timing,
        onOutcome: (outcome, id) => {
            w.outcomes.push([outcome, id]);
            onOutcome?.();
        },
        onError: error => w.errors.push(error),
    });
    w.watch.start();
    return w;
}

const seconds = (w: Watched) => GLib.get_monotonic_time() / 1e6 - w.started;

/** The match rules the bus daemon holds for a connection (dbus-daemon's Debug.Stats interface). */
function matchRules(bus: Gio.DBusConnection): number {
    const reply = bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Debug.Stats',
        'GetConnectionStats', new GLib.Variant('(s)', [bus.get_unique_name() ?? '']), new GLib.VariantType('(a{sv})'),
        Gio.DBusCallFlags.NONE, 5000, null);
    return reply.get_child_value(0).lookup_value('MatchRules', new GLib.VariantType('u')).get_uint32();
}

test('restart: a system service systemd restarts, with no signal sent, is found "restarted" by the timed reads', async () => {
    units(systemBus, { 'jellyfin.service': { id: 'jellyfin-server.service' } }); // an alias: named by its Id
    const w = watch(systemBus, 'jellyfin.service');
    await sleep(100); // the baseline is read: NRestarts 0, active since long before the kill
    state(systemBus, 'jellyfin.service', { activeState: 'activating', subState: 'auto-restart', result: 'oom-kill' });
    await sleep(300);
    assertEqual(w.outcomes, [], 'nothing while the restart is pending');
    state(systemBus, 'jellyfin.service', { activeState: 'active', subState: 'running', nRestarts: 1, entered: true });
    await waitFor(() => w.outcomes[0], 12000, 'the outcome');
    assertEqual(w.outcomes, [['restarted', 'jellyfin-server.service']], 'outcome and Id');
    assertEqual(w.parent.size, 0, 'the watch left nothing on its parent');
    assertEqual(w.errors, [], 'errors');
});

test('restart: PropertiesChanged from the user manager brings the news long before the next timed read (30 s)', async () => {
    units(userBus, { 'jellyfin.service': {} });
    const w = watch(userBus, 'jellyfin.service', { schedule: [30], settings: { windowSec: 60, holdSec: 5 } });
    try {
        await sleep(300); // GetUnit answered, the match rule is in place, the baseline read
        const changedAt = seconds(w);
        state(userBus, 'jellyfin.service', { activeState: 'active', subState: 'running', nRestarts: 1, entered: true }, true);
        await waitFor(() => w.outcomes[0], 5000, 'the outcome after the signal');
        assertEqual(w.outcomes, [['restarted', 'jellyfin.service']], 'outcome');
        assert(seconds(w) - changedAt < 5, `took ${(seconds(w) - changedAt).toFixed(2)} s after the change`);
    } finally {
        w.parent.dispose();
    }
});

test('restart: a service that fails and stays failed is "stopped", once it stayed down for the hold', async () => {
    units(userBus, { 'jellyfin.service': {} });
    const w = watch(userBus, 'jellyfin.service');
    await sleep(100);
    state(userBus, 'jellyfin.service', { activeState: 'failed', subState: 'failed', result: 'oom-kill' });
    await waitFor(() => w.outcomes[0], 12000, 'the outcome');
    assertEqual(w.outcomes, [['stopped', 'jellyfin.service']], 'outcome');
    assert(seconds(w) >= 0.5, `decided after ${seconds(w).toFixed(2)} s, before the hold`);
});

test('restart: a unit that stays active (a sub-cgroup was killed) is "running", and only at the end of the window', async () => {
    units(systemBus, { 'jellyfin.service': {} });
    const w = watch(systemBus, 'jellyfin.service', { schedule: [0.2, 0.5], settings: { windowSec: 1.2, holdSec: 0.5 } });
    await waitFor(() => w.outcomes[0], 12000, 'the outcome');
    assertEqual(w.outcomes, [['running', 'jellyfin.service']], 'outcome');
    assert(seconds(w) >= 1.2, `decided after ${seconds(w).toFixed(2)} s, before the window ended`);
});

test('restart: a unit systemd does not know, or a bus without systemd, is "unknown" at once', async () => {
    units(userBus, {});
    const gone = watch(userBus, 'jellyfin.service');
    const lonely = watch(lonelyBus, 'jellyfin.service');
    await waitFor(() => gone.outcomes[0] && lonely.outcomes[0], 8000, 'both outcomes');
    assertEqual([gone.outcomes, lonely.outcomes], [[['unknown', 'jellyfin.service']], [['unknown', 'jellyfin.service']]],
        'outcomes');
    assert(seconds(gone) < 5, 'not held until the window ends');
});

test('restart: what onOutcome throws goes to onError, not into the main loop', async () => {
    units(userBus, {});
    const w = watch(userBus, 'jellyfin.service', FAST, () => {
        throw new Error('boom');
    });
    await waitFor(() => w.errors[0], 8000, 'the error');
    assertEqual(String(w.errors[0]), 'Error: boom', 'error');
});

test('restart: disposing the caller\'s disposer ends a watch: no outcome, no timer, no match rule left', async () => {
    units(userBus, { 'jellyfin.service': {} });
    await sleep(100);
    const before = matchRules(userBus);
    const w = watch(userBus, 'jellyfin.service', { schedule: [0.5, 1], settings: { windowSec: 1.5, holdSec: 0.5 } });
    await sleep(300);
    // GDBus adds a rule for the signal and one to follow who owns org.freedesktop.systemd1.
    assert(matchRules(userBus) > before, `match rules while watching: ${before} -> ${matchRules(userBus)}`);
    w.parent.dispose();
    state(userBus, 'jellyfin.service', { activeState: 'failed', subState: 'failed' }, true);
    await sleep(2000); // past the window, the timed reads and the signal
    assertEqual(w.outcomes, [], 'no outcome after dispose()');
    assertEqual(matchRules(userBus), before, 'match rules after dispose()');
    assertEqual(w.errors, [], 'errors');
});

run();
