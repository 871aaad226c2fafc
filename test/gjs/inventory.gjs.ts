// Adapter tests under real GJS for the inventory: the scanner on the seed and hostile fixture trees,
// the subprocess runner and the container actions with a fake podman, and the freezer fallback on a
// real cgroup v2 child.

import GLib from 'gi://GLib';

import { buildInventory } from '../../src/core/inventory.js';
import { SystemActions } from '../../src/sys/actions.js';
import { CommandNames, scanTree } from '../../src/sys/scanner.js';
import { InventoryService, type InventoryOptions, type InventoryScan } from '../../src/sys/inventory.js';
import { detailPaths } from '../../src/core/inventory.js';
import { run } from '../../src/sys/subprocess.js';
import { KeptFiles } from '../../src/sys/files.js';
import Gio from 'gi://Gio';
import { assert, assertAllClosed, assertEqual, env, openFilesBelow, run as runTests, test } from './harness.js';

const seed = env('HEADROOM_SEED');
const hostile = env('HEADROOM_HOSTILE');
const fakePodman = env('HEADROOM_FAKE_PODMAN');
const podmanLog = env('HEADROOM_PODMAN_LOG');
const real = env('HEADROOM_REAL_CGROUP');
const MANAGER = '/user.slice/user-1000.slice/user@1000.service';
const JELLYFIN = '3f9c2d8e5b7a4c1f9e0d6b3a8c5f2e7d1a4b9c6e3f0d8a5b2c7e4f1a9d6be41a';

const wantDetails = (below: string) => below.includes('libpod-');

function loggedArgv(): string[][] {
    const [ok, bytes] = GLib.file_get_contents(podmanLog);
    if (!ok)
        return [];
    return new TextDecoder().decode(bytes).split('\n').filter(l => l !== '').map(l => JSON.parse(l) as string[]);
}

function clearLog(): void {
    GLib.file_set_contents(podmanLog, '');
}

test('the scanner reads every cgroup of the seed tree with its memory, oom.group and container details', async () => {
    const started = GLib.get_monotonic_time();
    const r = await scanTree({ root: seed, procRoot: `${seed}/proc`, managerPath: MANAGER, wantDetails, cancellable: null });
    print(JSON.stringify({ note: 'seed scan', ms: (GLib.get_monotonic_time() - started) / 1000, cgroups: r.entries.length }));
    assertEqual(r.problems, [], 'problems');
    const firefox = r.entries.find(e => e.path.endsWith('/app-gnome-firefox-4242.scope'));
    assert(firefox, 'firefox scope scanned');
    assertEqual([firefox.leaf, firefox.memoryCurrent !== null, firefox.anon !== null, firefox.pgscan !== null], [true, true, true, true], 'firefox fields');
    const payload = r.entries.find(e => e.path.endsWith(`/libpod-payload-${JELLYFIN}`));
    assert(payload, 'jellyfin payload scanned');
    assertEqual(payload.memoryCurrent, 2500000000, 'jellyfin memory.current');
    assert(payload.commands.includes('ffmpeg'), `jellyfin commands: ${JSON.stringify(payload.commands)}`);
    assertEqual(payload.frozen, false, 'jellyfin frozen');
    const slice = r.entries.find(e => e.path === `${MANAGER}/app.slice`);
    assertEqual(slice?.leaf, false, 'app.slice is not a leaf');
    // The scanned tree, classified, gives the incident's ranking.
    const inv = buildInventory(r.entries, MANAGER, { topN: 5, transcoders: ['ffmpeg'], containerNames: new Map() });
    assertEqual(inv.apps.slice(0, 2).map(a => a.appId), ['firefox', 'org.gnome.Evolution'], 'top apps');
    const jf = inv.containers.find(c => c.id === JELLYFIN);
    assertEqual([jf?.name, jf?.transcoding], ['jellyfin', true], 'jellyfin row');
    // The payload's 2.5 GB plus the few MB of podman's runtime cgroup.
    assert(jf && jf.memory !== null && jf.memory >= 2.5e9 && jf.memory < 2.51e9, `jellyfin memory ${jf?.memory}`);
});

test('memory.stat is read only for the cgroups statFor picks, after memory.current of all', async () => {
    let asked: { paths: number; withCurrent: number; withStat: number } | null = null;
    const firefox = `${MANAGER}/app.slice/app-gnome-firefox-4242.scope`;
    const r = await scanTree({
        root: seed, procRoot: `${seed}/proc`, managerPath: MANAGER, wantDetails, cancellable: null,
        statFor: entries => {
            asked = {
                paths: entries.length,
                withCurrent: entries.filter(e => e.memoryCurrent !== null).length,
                withStat: entries.filter(e => e.anon !== null || e.pgscan !== null).length,
            };
            return new Set([firefox]);
        },
    });
    assert(asked !== null, 'statFor was asked');
    const a = asked as { paths: number; withCurrent: number; withStat: number };
    assertEqual([a.paths, a.withStat], [r.entries.length, 0], 'statFor sees every cgroup, before any memory.stat');
    assert(a.withCurrent > 0 && a.withCurrent === r.entries.filter(e => e.memoryCurrent !== null).length,
        `memory.current known when asked: ${a.withCurrent}`);
    const read = r.entries.filter(e => e.anon !== null).map(e => e.path);
    assertEqual(read, [firefox], 'memory.stat read for the picked cgroup only');
    const ff = r.entries.find(e => e.path === firefox);
    assert(ff?.pgscan != null && ff.file !== null, 'its anon, file and pgscan');
});

test('process names are kept between scans: new pids read at once, known ones again only when due', async () => {
    const root = GLib.dir_make_tmp('headroom-names-XXXXXX');
    const dir = `${root}${MANAGER}/user.slice/libpod-${JELLYFIN}.scope/container`;
    GLib.mkdir_with_parents(dir, 0o755);
    GLib.mkdir_with_parents(`${root}/proc/100`, 0o755);
    GLib.mkdir_with_parents(`${root}/proc/101`, 0o755);
    GLib.file_set_contents(`${dir}/memory.current`, '1000\n');
    GLib.file_set_contents(`${dir}/cgroup.procs`, '100\n');
    GLib.file_set_contents(`${root}/proc/100/comm`, 'sh\n');
    GLib.file_set_contents(`${root}/proc/101/comm`, 'ffmpeg\n');
    const names = new CommandNames();
    const scan = async () => {
        names.nextScan();
        const r = await scanTree({ root, procRoot: `${root}/proc`, managerPath: MANAGER, wantDetails, cancellable: null, commandNames: names });
        return r.entries.find(e => e.path.endsWith('/container'))?.commands ?? null;
    };
    assertEqual(await scan(), ['sh'], 'first scan');
    // pid 100 execs ffmpeg: the name is read again within ten scans, not at every one.
    GLib.file_set_contents(`${root}/proc/100/comm`, 'ffmpeg\n');
    assertEqual(await scan(), ['sh'], 'a known pid is not read again at once');
    // A new pid is read at once.
    GLib.file_set_contents(`${dir}/cgroup.procs`, '100\n101\n');
    assertEqual(await scan(), ['sh', 'ffmpeg'], 'a new pid');
    let seen = await scan();
    for (let i = 0; i < 10 && seen?.join() !== 'ffmpeg'; i++)
        seen = await scan();
    assertEqual(seen, ['ffmpeg'], 'the re-read name, within ten scans');
    // A pid that left is forgotten: if it comes back (a new process with the same pid), it is read.
    GLib.file_set_contents(`${dir}/cgroup.procs`, '101\n');
    await scan();
    GLib.file_set_contents(`${root}/proc/100/comm`, 'bash\n');
    GLib.file_set_contents(`${dir}/cgroup.procs`, '100\n101\n');
    assertEqual(await scan(), ['bash', 'ffmpeg'], 'a pid seen again after it left is read at once');
});

/** A manager with app.slice and `n` app scopes (leaves), each with memory.current and memory.stat. */
function appTree(n: number): { root: string; leaf: (i: number) => string; setMemory: (i: number, bytes: number) => void } {
    const root = GLib.dir_make_tmp('headroom-rotation-XXXXXX');
    const slice = `${MANAGER}/app.slice`;
    const leaf = (i: number) => `${slice}/app-gnome-app${i}-${100 + i}.scope`;
    const setMemory = (i: number, bytes: number) => {
        GLib.file_set_contents(`${root}${leaf(i)}/memory.current`, `${bytes}\n`);
        GLib.file_set_contents(`${root}${leaf(i)}/memory.stat`, `anon ${Math.round(bytes * 0.7)}\nfile ${Math.round(bytes * 0.2)}\npgscan ${i}\n`);
    };
    GLib.mkdir_with_parents(`${root}${slice}`, 0o755);
    GLib.file_set_contents(`${root}${slice}/memory.current`, '1\n');
    for (let i = 0; i < n; i++) {
        GLib.mkdir_with_parents(`${root}${leaf(i)}`, 0o755);
        setMemory(i, (i + 1) * 1e6);
    }
    return { root, leaf, setMemory };
}

/**
 * An InventoryService on `root` that scans only when asked, and `scan()`, which asks for one and resolves
 * with it.
 */
function scannedService(root: string, opts: Pick<InventoryOptions, 'statFor' | 'rotate' | 'keepFilesOpen'>):
    { service: InventoryService; scan: () => Promise<InventoryScan> } {
    const scans: InventoryScan[] = [];
    let wake: (() => void) | null = null;
    const service = new InventoryService({
        root, procRoot: `${root}/proc`, managerPath: MANAGER, podman: () => 'headroom-test-no-podman',
        activeIntervalSec: () => 3600, idleIntervalSec: () => 3600,
        ...opts,
        onScan: scan => {
            scans.push(scan);
            wake?.();
        },
        onError: e => printerr(`inventory: ${String(e)}`),
    });
    const scan = () => new Promise<InventoryScan>(resolve => {
        const before = scans.length;
        wake = () => {
            const last = scans.at(-1);
            if (scans.length > before && last)
                resolve(last);
        };
        service.scanNow();
    });
    return { service, scan };
}

test('with only the menu looking, leaves outside the shown rows are read in turns; while pressure is up, all at every scan', async () => {
    const tree = appTree(12);
    let pressing = false;
    const { service, scan } = scannedService(tree.root, {
        statFor: entries => (pressing ? 'all' : detailPaths(entries, MANAGER, { topN: 2, transcoders: [], containerNames: new Map() })),
        rotate: () => !pressing,
    });
    const memoryOf = (s: InventoryScan, i: number) => s.entries.find(e => e.path === tree.leaf(i))?.memoryCurrent ?? null;
    try {
        service.active = true;
        await scan();
        const first = await scan();
        assertEqual(memoryOf(first, 0), 1e6, 'read at the first scans');
        // app0 (1 MB) is far from the top two (app11, app10): its growth shows within four scans, not
        // necessarily at the next one; the shown rows are read at every scan.
        tree.setMemory(0, 5e6);
        tree.setMemory(11, 20e6);
        const seen: (number | null)[] = [];
        let next = first;
        for (let i = 0; i < 4; i++) {
            next = await scan();
            seen.push(memoryOf(next, 0));
            assertEqual(memoryOf(next, 11), 20e6, `a shown row is read at every scan (scan ${i + 1})`);
        }
        // Read once in the four scans: the old number until then, the new one from then on.
        const at = seen.indexOf(5e6);
        assert(at > 0 && seen.slice(0, at).every(v => v === 1e6) && seen.slice(at).every(v => v === 5e6),
            `app0 read in its turn, not at every scan: ${JSON.stringify(seen)}`);
        // Not shown rows get no memory.stat; oomd's rule has no baseline from such scans.
        assertEqual(next.entries.find(e => e.path === tree.leaf(0))?.pgscan, null, 'no memory.stat outside the rows');
        assertEqual(next.previousPgscan.size, 0, 'no pgscan baseline from partial scans');
        // Pressure up: every leaf at every scan, with memory.stat; the baseline comes from the scan before.
        pressing = true;
        tree.setMemory(1, 7e6);
        const hot = await scan();
        assertEqual(memoryOf(hot, 1), 7e6, 'read at once while pressure is up');
        assertEqual(hot.entries.filter(e => e.leaf && e.pgscan === null).length, 0, 'every leaf has its pgscan');
        await new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, 1100, () => {
            resolve(null);
            return GLib.SOURCE_REMOVE;
        }));
        const second = await scan();
        assertEqual(second.previousPgscan.get(tree.leaf(3)), 3, 'the baseline of a complete scan a second before');
        // Pressure down, menu still open: the first scan after reads everything again.
        pressing = false;
        tree.setMemory(2, 9e6);
        const back = await scan();
        assertEqual(memoryOf(back, 2), 9e6, 'the first rotating scan reads all');
    } finally {
        service.stop();
    }
});

/** Rewrites a file in place, as the kernel's files change (a kept-open file sees it; a rename it would not). */
function rewrite(path: string, text: string): void {
    const stream = Gio.File.new_for_path(path).open_readwrite(null);
    stream.truncate(0, null);
    stream.get_output_stream().write_all(new TextEncoder().encode(text), null);
    stream.close(null);
}

test('while the menu is open, the files read at every scan stay open between scans, and are closed when no longer read', async () => {
    const tree = appTree(6);
    let menuOpen = true;
    const { service, scan } = scannedService(tree.root, {
        statFor: entries => (menuOpen ? detailPaths(entries, MANAGER, { topN: 1, transcoders: [], containerNames: new Map() }) : new Set()),
        rotate: () => menuOpen,
        keepFilesOpen: true,
    });
    const entryOf = (s: InventoryScan, i: number) => s.entries.find(e => e.path === tree.leaf(i));
    const slice = `${MANAGER}/app.slice`;
    try {
        service.active = true;
        await scan();
        await scan();
        // The top row (app5) and the slice, which has children: open; the other leaves: read in turns, closed.
        assertEqual(openFilesBelow(tree.root), [`${slice}/memory.current`, `${tree.leaf(5)}/memory.current`,
            `${tree.leaf(5)}/memory.stat`].sort(), 'kept open after a scan');
        // Read again from the start at the next scan: a change in place is seen.
        rewrite(`${tree.root}${tree.leaf(5)}/memory.current`, '8000000\n');
        rewrite(`${tree.root}${tree.leaf(5)}/memory.stat`, 'anon 5000000\nfile 2000000\npgscan 0\n');
        const changed = await scan();
        assertEqual(entryOf(changed, 5)?.memoryCurrent, 8e6, 'memory.current read again from a kept file');
        assertEqual(entryOf(changed, 5)?.anon, 5e6, 'memory.stat read again from a kept file');
        // Another row on top: its files are opened, the old row's are closed.
        tree.setMemory(0, 50e6);
        await scan();
        await scan();
        await scan();
        await scan();
        assertEqual(openFilesBelow(tree.root), [`${slice}/memory.current`, `${tree.leaf(0)}/memory.current`,
            `${tree.leaf(0)}/memory.stat`].sort(), 'the new top row kept, the old one closed');
        // The menu closes: the next scan reads sizes only and closes every kept file.
        menuOpen = false;
        await scan();
        assertEqual(openFilesBelow(tree.root), [], 'nothing kept open while the menu is closed');
        menuOpen = true;
        await scan();
        assert(openFilesBelow(tree.root).length > 0, 'kept again when the menu opens');
    } finally {
        service.stop();
    }
    await assertAllClosed(tree.root, 'nothing left open after stop()');
});

test('KeptFiles opens at most its limit, and a sweep closes the files not read since the last one', async () => {
    const dir = GLib.dir_make_tmp('headroom-kept-XXXXXX');
    for (const name of ['a', 'b', 'c'])
        GLib.file_set_contents(`${dir}/${name}`, `${name}\n`);
    const kept = new KeptFiles(2);
    const text = async (name: string) => {
        const file = kept.get(`${dir}/${name}`);
        if (file === null)
            return null;
        const read = await file.read(null);
        return read.ok ? read.value : read.error.code;
    };
    try {
        assertEqual([await text('a'), await text('b'), await text('c')], ['a\n', 'b\n', null], 'two kept, the third refused');
        assertEqual(openFilesBelow(dir), ['/a', '/b'], 'two open');
        kept.sweep();
        assertEqual(await text('b'), 'b\n', 'b read again');
        kept.sweep();
        assertEqual(openFilesBelow(dir), ['/b'], 'a, not read since the last sweep, closed');
        assertEqual(await text('c'), 'c\n', 'room for c now');
    } finally {
        kept.closeAll();
    }
    assertEqual(openFilesBelow(dir), [], 'closeAll closes them all');
});

test('a read that never answers does not stop the scans: the cgroup is unreadable until it answers', async () => {
    const tree = appTree(3);
    // A FIFO without a writer: opening it waits, as a kernfs read stuck on a lock would.
    const fifo = `${tree.root}${tree.leaf(1)}/memory.current`;
    GLib.unlink(fifo);
    const [made] = GLib.spawn_sync(null, ['mkfifo', fifo], null, GLib.SpawnFlags.SEARCH_PATH, null);
    assert(made, 'mkfifo');
    const release = () => GLib.spawn_sync(null, ['sh', '-c', `: > '${fifo}'`], null, GLib.SpawnFlags.SEARCH_PATH, null);
    const scans: InventoryScan[] = [];
    let wake: (() => void) | null = null;
    const service = new InventoryService({
        root: tree.root, procRoot: `${tree.root}/proc`, managerPath: MANAGER, podman: () => 'headroom-test-no-podman',
        statFor: () => new Set(), rotate: () => false, scanLimitMs: 300,
        activeIntervalSec: () => 3600, idleIntervalSec: () => 3600,
        onScan: scan => {
            scans.push(scan);
            wake?.();
        },
        onError: e => printerr(`inventory: ${String(e)}`),
    });
    const scan = () => new Promise<InventoryScan>((resolve, reject) => {
        const before = scans.length;
        const giveUp = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 3000, () => {
            reject(new Error('no scan within 3 s'));
            return GLib.SOURCE_REMOVE;
        });
        wake = () => {
            const last = scans.at(-1);
            if (scans.length > before && last) {
                GLib.source_remove(giveUp);
                resolve(last);
            }
        };
        service.scanNow();
    });
    const memoryOf = (s: InventoryScan, i: number) => s.entries.find(e => e.path === tree.leaf(i))?.memoryCurrent;
    try {
        const first = await scan();
        assertEqual([memoryOf(first, 0), memoryOf(first, 1), memoryOf(first, 2)], [1e6, null, 3e6], 'the stuck cgroup unreadable, the others read');
        const second = await scan();
        assertEqual([memoryOf(second, 0), memoryOf(second, 1)], [1e6, null], 'and again: the scans go on');
    } finally {
        service.stop();
        release();
    }
});

test('the scanner survives the hostile tree: odd names, missing files, malformed memory.stat', async () => {
    const r = await scanTree({ root: hostile, procRoot: `${hostile}/proc`, managerPath: MANAGER, wantDetails, cancellable: null });
    const calc = r.entries.find(e => e.path.includes('Calculator'));
    assert(calc, 'the cgroup without memory files is still listed');
    assertEqual([calc.memoryCurrent, calc.anon, calc.pgscan], [null, null, null], 'missing files give nulls');
    const weather = r.entries.find(e => e.path.includes('Weather'));
    assertEqual(weather?.anon, null, 'malformed memory.stat gives null anon');
    assert(r.entries.some(e => e.path.includes('\\x3cb\\x3eBold')), 'markup name scanned as is');
});

test('a vanished tree is an empty scan, not an exception', async () => {
    const r = await scanTree({ root: '/nonexistent', procRoot: '/proc', managerPath: MANAGER, wantDetails, cancellable: null });
    assertEqual([r.entries.length, r.problems.length], [0, 0], 'empty');
});

test('a cancelled scan ends quickly with nothing', async () => {
    const c = new Gio.Cancellable();
    c.cancel();
    const r = await scanTree({ root: seed, procRoot: `${seed}/proc`, managerPath: MANAGER, wantDetails, cancellable: c });
    assertEqual(r.entries.length, 0, 'entries');
});

test('run() passes hostile strings as single argv elements, never through a shell', async () => {
    clearLog();
    const args = ['$(touch /tmp/headroom-pwned)', '<b>Bold</b>', "it's \"quoted\"", 'a b;c|d', 'café'];
    const r = await run([fakePodman, ...args], 5000, null);
    assert(r.ok, `run failed: ${r.ok ? '' : r.error.message}`);
    assertEqual(loggedArgv(), [args], 'argv as received');
    assert(!GLib.file_test('/tmp/headroom-pwned', GLib.FileTest.EXISTS), 'nothing was executed');
});

test('run() reports a failing program with its own words', async () => {
    const r = await run([fakePodman, '--fail'], 5000, null);
    assert(!r.ok, 'expected a failure');
    assertEqual([r.error.code, r.error.message], ['failed', 'Error: no container with name or ID "x" found: no such container'], 'failure');
});

test('run() kills a program that hangs, after the timeout', async () => {
    const started = GLib.get_monotonic_time();
    const r = await run([fakePodman, '--hang'], 500, null);
    assert(!r.ok && r.error.code === 'timeout', `expected a timeout: ${JSON.stringify(r)}`);
    assert((GLib.get_monotonic_time() - started) / 1000 < 3000, 'returned soon after the timeout');
});

test('run() of a missing program is "not-found"', async () => {
    const r = await run(['/nonexistent/podman', 'ps'], 5000, null);
    assert(!r.ok && r.error.code === 'not-found', `expected not-found: ${JSON.stringify(r)}`);
});

test('pause, resume and stop run `podman pause|unpause|stop <id>`', async () => {
    clearLog();
    const actions = new SystemActions(() => fakePodman, new Gio.Cancellable());
    const target = { id: JELLYFIN, cgroupDir: '/nonexistent' };
    assert((await actions.pauseContainer(target, true)).ok, 'pause');
    assert((await actions.pauseContainer(target, false)).ok, 'unpause');
    assert((await actions.stopContainer(target)).ok, 'stop');
    assertEqual(loggedArgv(), [['pause', JELLYFIN], ['unpause', JELLYFIN], ['stop', JELLYFIN]], 'argv');
});

test('without podman, pause freezes the container cgroup itself, and resume thaws it', async () => {
    const actions = new SystemActions(() => '/nonexistent/podman', new Gio.Cancellable());
    const target = { id: JELLYFIN, cgroupDir: real };
    const frozen = () => {
        const [, bytes] = GLib.file_get_contents(`${real}/cgroup.events`);
        return /^frozen 1$/m.test(new TextDecoder().decode(bytes));
    };
    assert((await actions.pauseContainer(target, true)).ok, 'freeze');
    await new Promise<void>(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, 300, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
    assert(frozen(), 'frozen 1 after pause');
    assert((await actions.pauseContainer(target, false)).ok, 'thaw');
    await new Promise<void>(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, 300, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
    assert(!frozen(), 'frozen 0 after resume');
});

test('a podman error reaches the user as podman\'s own message', async () => {
    const actions = new SystemActions(() => `${fakePodman}-failing`, new Gio.Cancellable());
    const r = await actions.pauseContainer({ id: JELLYFIN, cgroupDir: real }, true);
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.message, 'Error: cannot pause the container: permission denied', 'message');
});

runTests();
