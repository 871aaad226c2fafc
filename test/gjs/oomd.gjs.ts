// Adapter tests for src/sys/oomd.ts under real GJS, against two private dbus-daemons started by
// test/adapters/oomd.test.ts: one standing in for the system bus (with test/dbus/fake-oomd.js as
// org.freedesktop.oom1 and test/dbus/fake-systemd.js as PID 1), one for the user's session bus (with
// fake-systemd.js as the user manager), and a fake journalctl (test/dbus/fake-journalctl) first on PATH.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import System from 'system';

import {
    discoverOomd, historyArgv, JOURNAL_NO_ACCESS, OOMD_NOT_RUNNING, OomdWatcher, readOomdConf, readOomdHistory,
    type Discovery, type OomdChange,
} from '../../src/sys/oomd.js';
import { JOURNAL_ARGS } from '../../src/core/journal.js';
import type { Result } from '../../src/core/result.js';
import { assert, assertEqual, env, run, sleep, test, waitFor } from './harness.js';

const fixtures = env('HEADROOM_OOMD_FIXTURES');
const dbusDir = env('HEADROOM_DBUS_DIR');
const argvFile = env('FAKE_JOURNALCTL_ARGV');

const FLAGS = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION;
const connect = (address: string) => Gio.DBusConnection.new_for_address_sync(address, FLAGS, null, null);
const systemBus = connect(env('HEADROOM_SYSTEM_BUS'));
const userBus = connect(env('HEADROOM_USER_BUS'));

const manager = '/user.slice/user-1000.slice/user@1000.service';
const USER_SLICES = ['app.slice', 'session.slice', 'background.slice', 'app-org.gnome.Terminal.slice', 'user.slice',
    'gone.slice'];

// ---- driving the stand-ins ---------------------------------------------------------------------------

function control(bus: Gio.DBusConnection, service: 'FakeOomd' | 'FakeSystemd', method: string,
    params: GLib.Variant | null = null): GLib.Variant {
    const name = `org.headroom.Test.${service}`;
    return bus.call_sync(name, '/org/headroom/Test', name, method, params, null, Gio.DBusCallFlags.NONE, 5000, null);
}

const oomd = (method: string, params: GLib.Variant | null = null) => control(systemBus, 'FakeOomd', method, params);

function readJson(path: string): Record<string, Record<string, unknown>> {
    const [, bytes] = GLib.file_get_contents(path);
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, Record<string, unknown>>;
}

const userUnits = readJson(`${dbusDir}/units-user.json`);
const systemUnits = readJson(`${dbusDir}/units-system.json`);

function setUnits(bus: Gio.DBusConnection, units: Record<string, Record<string, unknown>>): void {
    control(bus, 'FakeSystemd', 'SetUnits', new GLib.Variant('(s)', [JSON.stringify(units)]));
}

/** Every stand-in back to a running oomd serving the Fedora 42 dump, and the units of test/dbus. */
function reset(): void {
    oomd('SetPresent', new GLib.Variant('(b)', [true]));
    oomd('SetMode', new GLib.Variant('(s)', ['ok']));
    oomd('SetDump', new GLib.Variant('(s)', [`${fixtures}/fedora42-v257.dump`]));
    setUnits(systemBus, systemUnits);
    setUnits(userBus, userUnits);
}

function oomdAbsent(activeState: string | null): void {
    oomd('SetPresent', new GLib.Variant('(b)', [false]));
    const units: Record<string, Record<string, unknown>> = { ...systemUnits };
    if (activeState === null)
        delete units['systemd-oomd.service'];
    else
        units['systemd-oomd.service'] = { activeState };
    setUnits(systemBus, units);
}

// ---- helpers ---------------------------------------------------------------------------------------------

function mkdtemp(): string {
    return GLib.dir_make_tmp('headroom-oomd-XXXXXX');
}

function write(path: string, text: string): void {
    GLib.mkdir_with_parents(GLib.path_get_dirname(path), 0o755);
    GLib.file_set_contents(path, text);
}

function copy(from: string, to: string): void {
    const [, bytes] = GLib.file_get_contents(from);
    write(to, new TextDecoder().decode(bytes));
}

/**
 * An oomd.conf tree as Fedora has it plus a local drop-in: /etc/systemd/oomd.conf (everything
 * commented out), /usr/lib/systemd/oomd.conf.d/10-oomd-defaults.conf (20 s) and
 * /etc/systemd/oomd.conf.d/50-local.conf (70 %, 45 s), which wins by its later name.
 */
function confTree(): string {
    const root = mkdtemp();
    copy(`${fixtures}/conf/oomd.conf`, `${root}/etc/systemd/oomd.conf`);
    copy(`${fixtures}/conf/fedora-10-oomd-defaults.conf`, `${root}/usr/lib/systemd/oomd.conf.d/10-oomd-defaults.conf`);
    write(`${root}/etc/systemd/oomd.conf.d/50-local.conf`,
        '[OOM]\nDefaultMemoryPressureLimit=70%\nDefaultMemoryPressureDurationSec=45s\n');
    return root;
}

/** This process's open descriptors with what they point at, after a garbage collection. */
function openFds(): string[] {
    System.gc(); // so that descriptors other objects hold until they are collected do not count
    const dir = Gio.File.new_for_path('/proc/self/fd');
    const e = dir.enumerate_children('standard::name,standard::symlink-target', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS,
        null);
    const fds: string[] = [];
    let info: Gio.FileInfo | null;
    while ((info = e.next_file(null)))
        fds.push(`${info.get_name()} -> ${info.get_symlink_target() ?? '?'}`);
    e.close(null);
    // Left out: the enumerator's own descriptor, and the eventfds GLib's worker threads open and close
    // for their main contexts as they come and go.
    return fds.filter(fd => !/ -> (\/proc\/(self|\d+)\/fd|anon_inode:\[eventfd\])$/.test(fd)).sort();
}

function discover(extra: { confRoot?: string; cancellable?: Gio.Cancellable } = {}): Promise<Result<Discovery>> {
    return discoverOomd({
        systemBus, userBus, userSlices: USER_SLICES,
        confRoot: extra.confRoot ?? mkdtemp(), cancellable: extra.cancellable ?? null,
    });
}

function expectOk(r: Result<Discovery>): Discovery {
    assert(r.ok, `discovery failed: ${r.ok ? '' : `${r.error.code}: ${r.error.message}`}`);
    return r.value;
}

function byPath(d: Discovery): Record<string, [number, number]> {
    // assertEqual compares JSON, so key order matters: both sides sorted by path.
    const out: Record<string, [number, number]> = {};
    for (const m of [...d.monitored].sort((a, b) => (a.path < b.path ? -1 : 1)))
        out[m.path] = [m.policy.limitPercent, m.policy.durationSec];
    return out;
}

function sorted(policies: Record<string, [number, number]>): Record<string, [number, number]> {
    return Object.fromEntries(Object.entries(policies).sort(([a], [b]) => (a < b ? -1 : 1)));
}

const FEDORA42: Record<string, [number, number]> = {
    [`${manager}/app.slice`]: [80, 20],
    '/system.slice': [80, 20],
    [`${manager}/session.slice`]: [80, 20],
    [`${manager}/app.slice/app-org.gnome.Terminal.slice`]: [80, 20],
    [`${manager}/background.slice`]: [80, 20],
    [`${manager}/user.slice`]: [80, 20],
};

// ---- discovery: the dump -----------------------------------------------------------------------------

test('discovery reads oomd\'s dump through the descriptor DumpByFileDescriptor returns', async () => {
    reset();
    await discover(); // warm-up: the stream class is looked up once
    const before = openFds();
    const d = expectOk(await discover());
    assertEqual(d.source, 'oomd-dump', 'source');
    assertEqual(byPath(d), sorted(FEDORA42), 'monitored cgroups and their policies');
    assertEqual(d.defaults, { limitPercent: 60, durationSec: 20 }, 'defaults');
    assertEqual(d.swapUsedLimitPercent, 90, 'swap used limit');
    assertEqual(d.dryRun, false, 'dry run');
    assertEqual(d.notes, [], 'notes');
    assertEqual(openFds(), before, 'open descriptors after discovery (the dump\'s is closed)');
});

test('a dump handed over as a pipe reads the same', async () => {
    reset();
    oomd('SetMode', new GLib.Variant('(s)', ['pipe']));
    const before = openFds();
    const d = expectOk(await discover());
    assertEqual(byPath(d), sorted(FEDORA42), 'monitored');
    assertEqual(openFds(), before, 'open descriptors');
});

test('a v256 dump without per-cgroup durations gives each cgroup the default duration', async () => {
    reset();
    oomd('SetDump', new GLib.Variant('(s)', [`${fixtures}/fedora41-v256.dump`]));
    const d = expectOk(await discover());
    assertEqual(byPath(d), sorted({
        '/system.slice': [80, 20],
        [`${manager}/app.slice`]: [80, 20],
        [`${manager}/session.slice`]: [80, 20],
    }), 'monitored');
});

test('a dump of an oomd that watches nothing is an empty list, not a failure', async () => {
    reset();
    oomd('SetDump', new GLib.Variant('(s)', [`${fixtures}/no-monitored-cgroups.dump`]));
    const d = expectOk(await discover());
    assertEqual(d.source, 'oomd-dump', 'source');
    assertEqual(d.monitored, [], 'monitored');
    assertEqual(d.defaults, { limitPercent: 60, durationSec: 30 }, 'upstream defaults');
});

test('extra descriptors in the reply are closed too', async () => {
    reset();
    oomd('SetMode', new GLib.Variant('(s)', ['two-fds']));
    const before = openFds();
    const d = expectOk(await discover());
    assertEqual(d.source, 'oomd-dump', 'source');
    assertEqual(openFds(), before, 'open descriptors');
});

// ---- discovery: the fallback -------------------------------------------------------------------------

const FALLBACK: Record<string, [number, number]> = {
    [`${manager}/app.slice`]: [80, 45], // own limit, duration from the local drop-in
    [`${manager}/session.slice`]: [70, 10], // limit from the drop-in, own duration
    [`${manager}/user.slice`]: [90, 5],
    '/system.slice': [80, 20], // from the system bus
};

test('without org.freedesktop.oom1 but with oomd active: unit properties and oomd.conf drop-ins', async () => {
    reset();
    oomdAbsent('active');
    const d = expectOk(await discover({ confRoot: confTree() }));
    assertEqual(d.source, 'unit-properties', 'source');
    assertEqual(byPath(d), sorted(FALLBACK), 'monitored (auto, inactive and unknown slices left out)');
    assertEqual(d.defaults, { limitPercent: 70, durationSec: 45 }, 'defaults from the drop-ins');
    assertEqual(d.swapUsedLimitPercent, 90, 'swap used limit');
    assertEqual(d.dryRun, null, 'dry run unknown');
    assertEqual(d.monitored.find(m => m.path === '/system.slice')?.unit, 'system.slice', 'unit name kept');
    assert(d.notes[0]?.includes('systemd-oomd did not report its limits'), `note says why: ${d.notes.join(' | ')}`);
});

test('a dump oomd refuses to give falls back to the unit properties', async () => {
    reset();
    oomd('SetMode', new GLib.Variant('(s)', ['denied']));
    const d = expectOk(await discover({ confRoot: confTree() }));
    assertEqual(d.source, 'unit-properties', 'source');
    assertEqual(byPath(d), sorted(FALLBACK), 'monitored');
    assert(d.notes[0]?.includes('Access denied by the test') && !d.notes[0].includes('type='), `note quotes oomd's first words, not the bus's fields: ${d.notes[0] ?? ''}`);
});

test('a dump that is not a dump falls back, and its descriptor is closed', async () => {
    reset();
    oomd('SetDump', new GLib.Variant('(s)', [`${dbusDir}/units-user.json`]));
    const before = openFds();
    const d = expectOk(await discover({ confRoot: confTree() }));
    assertEqual(d.source, 'unit-properties', 'source');
    assert(d.notes[0]?.includes('not systemd-oomd dump output'), `note: ${d.notes[0] ?? ''}`);
    assertEqual(openFds(), before, 'open descriptors');
});

test('a reply whose handle points at no descriptor falls back', async () => {
    reset();
    oomd('SetMode', new GLib.Variant('(s)', ['no-fd']));
    const d = expectOk(await discover({ confRoot: confTree() }));
    assertEqual(d.source, 'unit-properties', 'source');
});

test('oomd.conf: a drop-in masked by a link to /dev/null restores the upstream duration', async () => {
    const root = confTree();
    GLib.unlink(`${root}/etc/systemd/oomd.conf.d/50-local.conf`);
    Gio.File.new_for_path(`${root}/etc/systemd/oomd.conf.d/10-oomd-defaults.conf`).make_symbolic_link('/dev/null', null);
    const conf = await readOomdConf(root, null);
    assertEqual(conf, { swapUsedLimitPercent: 90, defaultLimitPercent: 60, defaultDurationSec: 30 }, 'conf');
});

test('oomd.conf: /run and /etc drop-ins override /usr/lib by name, later names win', async () => {
    const root = confTree();
    write(`${root}/run/systemd/oomd.conf.d/50-local.conf`, '[OOM]\nDefaultMemoryPressureDurationSec=1min\n');
    write(`${root}/usr/local/lib/systemd/oomd.conf.d/60-more.conf`, '[OOM]\nSwapUsedLimit=80%\n');
    const notes: string[] = [];
    const conf = await readOomdConf(root, null, notes);
    // /etc's 50-local.conf hides /run's; 60-more.conf comes after it.
    assertEqual(conf, { swapUsedLimitPercent: 80, defaultLimitPercent: 70, defaultDurationSec: 45 }, 'conf');
    assertEqual(notes, [], 'notes');
});

test('oomd.conf: no files at all gives the upstream defaults', async () => {
    assertEqual(await readOomdConf(mkdtemp(), null),
        { swapUsedLimitPercent: 90, defaultLimitPercent: 60, defaultDurationSec: 30 }, 'conf');
});

// ---- discovery: oomd not running -----------------------------------------------------------------------

test('oomd not running (no oom1 name, systemd-oomd.service inactive) says so', async () => {
    reset();
    oomdAbsent('inactive');
    const r = await discover({ confRoot: confTree() });
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'not-running', 'code');
    assertEqual(r.error.message, OOMD_NOT_RUNNING, 'message');
    assertEqual(r.error.message, "systemd-oomd is not running: only the kernel's OOM killer acts", 'words');
});

test('oomd not installed (systemd knows no systemd-oomd.service) says so', async () => {
    reset();
    oomdAbsent(null);
    const r = await discover();
    assert(!r.ok && r.error.code === 'not-running', `expected not-running, got ${JSON.stringify(r)}`);
});

test('oomd not running and systemd not answering either still says oomd is not running', async () => {
    reset();
    oomd('SetPresent', new GLib.Variant('(b)', [false]));
    const lonely = connect(env('HEADROOM_LONELY_BUS')); // a bus with neither oomd nor systemd on it
    const r = await discoverOomd({ systemBus: lonely, userBus: lonely, userSlices: ['app.slice'], confRoot: mkdtemp(),
        cancellable: null });
    lonely.close_sync(null);
    assert(!r.ok && r.error.code === 'not-running', `expected not-running, got ${JSON.stringify(r)}`);
});

test('a user bus without a systemd manager still gives system.slice, with a note', async () => {
    reset();
    oomd('SetMode', new GLib.Variant('(s)', ['denied']));
    const lonely = connect(env('HEADROOM_LONELY_BUS'));
    try {
        const r = await discoverOomd({ systemBus, userBus: lonely, userSlices: ['app.slice'], confRoot: mkdtemp(),
            cancellable: null });
        assert(r.ok, `expected a result from system.slice: ${JSON.stringify(r)}`);
        assertEqual(byPath(r.value), { '/system.slice': [80, 20] }, 'monitored');
        assert(r.value.notes.some(n => n.includes('app.slice')), `a note names app.slice: ${r.value.notes.join(' | ')}`);
    } finally {
        lonely.close_sync(null);
    }
});

test('oomd running but no slice answering is an "unavailable" failure', async () => {
    reset();
    oomd('SetMode', new GLib.Variant('(s)', ['denied']));
    setUnits(systemBus, { ...systemUnits, 'system.slice': { broken: true } }); // no Slice interface
    const lonely = connect(env('HEADROOM_LONELY_BUS'));
    try {
        const r = await discoverOomd({ systemBus, userBus: lonely, userSlices: ['app.slice'], confRoot: mkdtemp(),
            cancellable: null });
        assert(!r.ok, 'expected a failure');
        assertEqual(r.error.code, 'unavailable', 'code');
        assert(r.error.message.startsWith("Headroom cannot learn systemd-oomd's limits: "), r.error.message);
    } finally {
        lonely.close_sync(null);
    }
});

test('discovery cancelled is a "cancelled" failure', async () => {
    reset();
    const c = new Gio.Cancellable();
    c.cancel();
    const r = await discover({ cancellable: c });
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'cancelled', 'code');
});

// ---- the watcher ---------------------------------------------------------------------------------------

interface Seen { killed: [string, string][]; changed: OomdChange[][]; errors: unknown[] }

function watcher(bus: Gio.DBusConnection | null = userBus, debounceMs = 150): { w: OomdWatcher; seen: Seen } {
    const seen: Seen = { killed: [], changed: [], errors: [] };
    const w = new OomdWatcher({
        systemBus, userBus: bus, debounceMs,
        onKilled: (cgroup, reason) => seen.killed.push([cgroup, reason]),
        onChanged: reasons => seen.changed.push(reasons),
        onError: error => seen.errors.push(error),
    });
    w.start();
    return { w, seen };
}

/** Waits until the match rules of a fresh watcher are in place (a ping through the bus suffices). */
async function settle(): Promise<void> {
    for (const bus of [systemBus, userBus]) {
        bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping', null, null,
            Gio.DBusCallFlags.NONE, 5000, null);
    }
    await sleep(50);
}

const victim = `${manager}/app.slice/app-gnome-firefox-4242.scope`;

test('Killed reaches onKilled with the cgroup and the reason', async () => {
    reset();
    const { w, seen } = watcher();
    try {
        await settle();
        oomd('EmitKilled', new GLib.Variant('(ss)', [victim, 'memory-pressure']));
        const killed = await waitFor(() => seen.killed[0], 3000, 'onKilled');
        assertEqual(killed, [victim, 'memory-pressure'], 'cgroup and reason');
        oomd('EmitKilled', new GLib.Variant('(ss)', ['/system.slice/jellyfin.service', 'memory-used']));
        await waitFor(() => seen.killed[1], 3000, 'second onKilled');
        assertEqual(seen.killed[1], ['/system.slice/jellyfin.service', 'memory-used'], 'second kill');
        assertEqual(seen.errors, [], 'errors');
    } finally {
        w.stop();
    }
});

test('a Killed signal from a client that is not org.freedesktop.oom1 is ignored', async () => {
    reset();
    const { w, seen } = watcher();
    const impostor = connect(env('HEADROOM_SYSTEM_BUS'));
    try {
        await settle();
        impostor.emit_signal(null, '/org/freedesktop/oom1', 'org.freedesktop.oom1.Manager', 'Killed',
            new GLib.Variant('(ss)', ['/fake.slice/impostor.scope', 'memory-pressure']));
        impostor.flush_sync(null);
        oomd('EmitKilled', new GLib.Variant('(ss)', [victim, 'memory-pressure']));
        await waitFor(() => seen.killed[0], 3000, 'the real kill');
        await sleep(200);
        assertEqual(seen.killed, [[victim, 'memory-pressure']], 'only the real oomd is heard');
    } finally {
        w.stop();
        impostor.close_sync(null);
    }
});

test('oomd restarting (org.freedesktop.oom1 changes owner) calls onChanged once, and Killed still arrives', async () => {
    reset();
    const { w, seen } = watcher();
    try {
        await settle();
        oomd('Restart');
        const reasons = await waitFor(() => seen.changed[0], 3000, 'onChanged');
        assertEqual(reasons, ['oomd-stopped', 'oomd-started'], 'reasons, debounced into one call');
        await sleep(300);
        assertEqual(seen.changed.length, 1, 'one call');
        oomd('EmitKilled', new GLib.Variant('(ss)', [victim, 'memory-pressure']));
        await waitFor(() => seen.killed[0], 3000, 'onKilled after the restart');
    } finally {
        w.stop();
    }
});

test('oomd stopping and starting are told apart', async () => {
    reset();
    const { w, seen } = watcher(null);
    try {
        await settle();
        oomd('SetPresent', new GLib.Variant('(b)', [false]));
        assertEqual(await waitFor(() => seen.changed[0], 3000, 'stop'), ['oomd-stopped'], 'stopped');
        oomd('SetPresent', new GLib.Variant('(b)', [true]));
        assertEqual(await waitFor(() => seen.changed[1], 3000, 'start'), ['oomd-started'], 'started');
    } finally {
        w.stop();
    }
});

test('the watcher subscribes to the user manager and slices appearing, going or reloading call onChanged', async () => {
    reset();
    const { w, seen } = watcher(userBus, 500); // a burst below must fit in the wait, even on a slow machine
    const sd = (method: string, params: GLib.Variant | null = null) => control(userBus, 'FakeSystemd', method, params);
    try {
        const subscribers = await waitFor(() => {
            const names = sd('Subscribers').deepUnpack() as [string[]];
            return names[0].includes(userBus.get_unique_name() ?? '') ? names[0] : undefined;
        }, 3000, 'Subscribe');
        assertEqual(subscribers.length, 1, 'one subscription');
        await settle();

        sd('EmitUnitNew', new GLib.Variant('(s)', ['app-gnome-firefox-4242.scope'])); // not a slice
        await sleep(800);
        assertEqual(seen.changed, [], 'a scope changes nothing');

        sd('EmitUnitNew', new GLib.Variant('(s)', ['app-org.gnome.Terminal.slice']));
        assertEqual(await waitFor(() => seen.changed[0], 3000, 'UnitNew'), ['units'], 'UnitNew of a slice');
        sd('EmitUnitRemoved', new GLib.Variant('(s)', ['app-org.gnome.Terminal.slice']));
        await waitFor(() => seen.changed[1], 3000, 'UnitRemoved');
        sd('EmitReloading', new GLib.Variant('(b)', [true]));
        await sleep(800);
        assertEqual(seen.changed.length, 2, 'a reload that starts changes nothing yet');
        sd('EmitReloading', new GLib.Variant('(b)', [false]));
        await waitFor(() => seen.changed[2], 3000, 'Reloading(false)');
        sd('EmitPropertiesChanged', new GLib.Variant('(ss)', ['app.slice', 'org.freedesktop.systemd1.Unit']));
        await waitFor(() => seen.changed[3], 3000, 'PropertiesChanged of a slice');
        sd('EmitPropertiesChanged', new GLib.Variant('(ss)', ['session.slice', 'org.freedesktop.systemd1.Slice']));
        sd('EmitUnitNew', new GLib.Variant('(s)', ['background.slice']));
        await waitFor(() => seen.changed[4], 3000, 'a burst');
        await sleep(800);
        assertEqual(seen.changed.length, 5, 'a burst of changes is one call');
    } finally {
        w.stop();
    }
    const after = await waitFor(() => {
        const names = (sd('Subscribers').deepUnpack() as [string[]])[0];
        return names.length === 0 ? names : undefined;
    }, 3000, 'Unsubscribe on stop()');
    assertEqual(after, [], 'no subscriber left');
});

/** The match rules the bus daemon holds for a connection (dbus-daemon's Debug.Stats interface). */
function matchRules(bus: Gio.DBusConnection): number {
    const reply = bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Debug.Stats',
        'GetConnectionStats', new GLib.Variant('(s)', [bus.get_unique_name() ?? '']), new GLib.VariantType('(a{sv})'),
        Gio.DBusCallFlags.NONE, 5000, null);
    return reply.get_child_value(0).lookup_value('MatchRules', new GLib.VariantType('u')).get_uint32();
}

test('stop() removes every match rule the watcher added on both buses', async () => {
    reset();
    await settle();
    const before = [matchRules(systemBus), matchRules(userBus)];
    const { w } = watcher();
    await settle();
    const during = [matchRules(systemBus), matchRules(userBus)];
    assert((during[0] ?? 0) >= (before[0] ?? 0) + 2 && (during[1] ?? 0) >= (before[1] ?? 0) + 4,
        `match rules while watching: ${JSON.stringify(before)} -> ${JSON.stringify(during)}`);
    w.stop();
    await settle();
    assertEqual([matchRules(systemBus), matchRules(userBus)], before, 'match rules after stop()');
});

test('stop() leaves no subscription: nothing is called after it', async () => {
    reset();
    const stopped = watcher();
    const witness = watcher(); // proves the signals were sent and delivered
    const sd = (method: string, params: GLib.Variant) => control(userBus, 'FakeSystemd', method, params);
    try {
        await settle();
        stopped.w.stop();
        oomd('EmitKilled', new GLib.Variant('(ss)', [victim, 'memory-pressure']));
        oomd('Restart');
        sd('EmitUnitNew', new GLib.Variant('(s)', ['new.slice']));
        await waitFor(() => witness.seen.killed[0], 3000, 'the witness hears Killed');
        await waitFor(() => witness.seen.changed[0], 3000, 'the witness hears the changes');
        await sleep(400);
        assertEqual(stopped.seen.killed, [], 'no onKilled after stop()');
        assertEqual(stopped.seen.changed, [], 'no onChanged after stop()');
    } finally {
        witness.w.stop();
    }
});

test('stop() before a pending onChanged fires cancels it', async () => {
    reset();
    const { w, seen } = watcher(null);
    await settle();
    oomd('Restart');
    await sleep(60); // the signals arrived, the 150 ms debounce runs
    w.stop();
    await sleep(400);
    assertEqual(seen.changed, [], 'no onChanged');
});

// ---- history ---------------------------------------------------------------------------------------------

function journal(mode: string): void {
    GLib.setenv('FAKE_JOURNALCTL_MODE', mode, true);
    GLib.setenv('FAKE_JOURNALCTL_OUTPUT', `${fixtures}/journal-fedora42-v257.jsonl`, true);
}

function recordedArgv(): string[] {
    const [, bytes] = GLib.file_get_contents(argvFile);
    return new TextDecoder().decode(bytes).split('\n').filter(l => l !== '');
}

test('history: journalctl runs with core\'s arguments (minus --quiet) and the kills are parsed', async () => {
    journal('ok');
    const r = await readOomdHistory(null);
    assert(r.ok, `history failed: ${r.ok ? '' : r.error.message}`);
    assertEqual(recordedArgv(), JOURNAL_ARGS(7).slice(1).filter(a => a !== '--quiet'), 'argv');
    assertEqual(historyArgv(7)[0], 'journalctl', 'program');
    assertEqual(r.value.length, 5, 'kills (four pressure kills, one swap kill)');
    const first = r.value[0];
    assertEqual(first?.victim, victim, 'first victim');
    assertEqual(first?.monitored, `${manager}/app.slice`, 'monitored cgroup');
    assertEqual(first?.reason, 'memory-pressure', 'reason');
    assertEqual(r.value.filter(k => k.reason === 'memory-used').length, 1, 'swap kills');
});

test('history: other days are passed through', async () => {
    journal('ok');
    const r = await readOomdHistory(null, { days: 30 });
    assert(r.ok, 'history failed');
    assert(recordedArgv().includes('--since=-30d'), `argv: ${recordedArgv().join(' ')}`);
});

test('history: no journal file could be opened (exit 1) is "no-access" with readable words', async () => {
    journal('denied');
    const r = await readOomdHistory(null);
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'no-access', 'code');
    assertEqual(r.error.message, JOURNAL_NO_ACCESS, 'message');
    assert(r.error.message.startsWith('Headroom cannot read the system journal: '), r.error.message);
});

test('history: "Permission denied" (exit 1) is "no-access"', async () => {
    journal('perm');
    const r = await readOomdHistory(null);
    assert(!r.ok && r.error.code === 'no-access', `got ${JSON.stringify(r)}`);
});

test('history: only the user\'s own journal readable (exit 0, the hint) is "no-access", not "no kills"', async () => {
    journal('hint');
    const r = await readOomdHistory(null);
    assert(!r.ok && r.error.code === 'no-access', `got ${JSON.stringify(r)}`);
});

test('history: no journal files at all is "no-journal"', async () => {
    journal('no-files');
    const r = await readOomdHistory(null);
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'no-journal', 'code');
    assertEqual(r.error.message, 'Headroom cannot read the system journal: no journal files were found', 'message');
});

test('history: another journalctl failure keeps its words', async () => {
    journal('broken');
    const r = await readOomdHistory(null);
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'failed', 'code');
    assertEqual(r.error.message, 'Headroom cannot read the system journal: Failed to seek to date: Invalid argument',
        'message');
});

test('history: no journalctl on PATH is "not-found"', async () => {
    const path = GLib.getenv('PATH') ?? '';
    GLib.setenv('PATH', mkdtemp(), true);
    try {
        const r = await readOomdHistory(null);
        assert(!r.ok, 'expected a failure');
        assertEqual(r.error.code, 'not-found', 'code');
        assertEqual(r.error.message, 'Headroom cannot read the system journal: journalctl is not installed', 'message');
    } finally {
        GLib.setenv('PATH', path, true);
    }
});

test('history: no kills in the window is an empty list', async () => {
    journal('ok');
    const empty = mkdtemp();
    write(`${empty}/none.jsonl`, '');
    GLib.setenv('FAKE_JOURNALCTL_OUTPUT', `${empty}/none.jsonl`, true);
    const r = await readOomdHistory(null);
    assert(r.ok, 'history failed');
    assertEqual(r.value, [], 'kills');
});

run();
