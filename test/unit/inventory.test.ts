import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { CgroupEntry } from '../../src/core/cgroup-entry.js';
import { buildInventory, detailPaths, formatMemory, type Inventory, type InventoryOptions } from '../../src/core/inventory.js';
import { parseKeyValues } from '../../src/core/keyvalue.js';

const MANAGER = '/user.slice/user-1000.slice/user@1000.service';
const JELLY = '3f9c2d8e5b7a4c1f9e0d6b3a8c5f2e7d1a4b9c6e3f0d8a5b2c7e4f1a9d6be41a';
const IMMICH = '8b21f4c7a9e3d6b0c5f8a2e7d4b1c9f6a3e0d7b4c1f8a5e2d9b6c3f0a7e407cd';
const MB = 1e6;

const OPTS: InventoryOptions = { topN: 5, transcoders: ['ffmpeg'], containerNames: new Map() };

/** A cgroup below the manager; anon and file default to 70 % / 20 % of memory.current. */
function entry(rel: string, memory: number | null, extra: Partial<CgroupEntry> = {}): CgroupEntry {
    return {
        path: rel === '' ? MANAGER : `${MANAGER}/${rel}`,
        leaf: true,
        memoryCurrent: memory,
        anon: memory === null ? null : Math.round(memory * 0.7),
        file: memory === null ? null : Math.round(memory * 0.2),
        pgscan: 0,
        oomGroup: false,
        preference: 'none',
        ownerUid: 1000,
        frozen: false,
        populated: true,
        commands: [],
        ...extra,
    };
}

function build(entries: CgroupEntry[], opts: Partial<InventoryOptions> = {}): Inventory {
    return buildInventory(entries, MANAGER, { ...OPTS, ...opts });
}

const QUADLET = [
    entry('app.slice/jellyfin.service', 2503 * MB, { leaf: false }),
    entry(`app.slice/jellyfin.service/libpod-payload-${JELLY}`, 2500 * MB, { commands: ['jellyfin', 'ffmpeg'] }),
    entry('app.slice/jellyfin.service/runtime', 3 * MB, { commands: ['conmon'] }),
];

const PODMAN_RUN = [
    entry(`user.slice/libpod-${IMMICH}.scope`, 2040 * MB, { leaf: false }),
    entry(`user.slice/libpod-${IMMICH}.scope/container`, 2040 * MB, { commands: ['immich'] }),
    entry(`user.slice/libpod-conmon-${IMMICH}.scope`, 1 * MB, { commands: ['conmon'] }),
];

describe('buildInventory: apps', () => {
    it('one row per app: two Firefox scopes add up', () => {
        const inv = build([
            entry('app.slice/app-gnome-firefox-4242.scope', 4000 * MB),
            entry('app.slice/app-gnome-firefox-9001.scope', 2000 * MB),
        ]);
        assert.equal(inv.apps.length, 1);
        const ff = inv.apps[0];
        assert.equal(ff?.appId, 'firefox');
        assert.equal(ff?.name, 'firefox');
        assert.equal(ff?.memory, 6000 * MB);
        assert.equal(ff?.anon, 4200 * MB);
        assert.equal(ff?.file, 1200 * MB);
        assert.equal(ff?.cgroups, 2);
        assert.deepEqual(ff?.units, [
            `${MANAGER}/app.slice/app-gnome-firefox-4242.scope`, `${MANAGER}/app.slice/app-gnome-firefox-9001.scope`]);
    });

    it('launchers do not split an app: a gnome scope and a flatpak scope of one id are one row', () => {
        const inv = build([
            entry('app.slice/app-gnome-org.gnome.Maps-1.scope', 100 * MB),
            entry('app.slice/app-flatpak-org.gnome.Maps-2.scope', 50 * MB),
        ]);
        assert.deepEqual(inv.apps.map(a => [a.appId, a.memory]), [['org.gnome.Maps', 150 * MB]]);
    });

    it('terminal tabs add up to Terminal without counting the slice and its children twice', () => {
        const slice = 'app.slice/app-org.gnome.Terminal.slice';
        const inv = build([
            entry(slice, 336 * MB, { leaf: false }),
            entry(`${slice}/gnome-terminal-server.service`, 185 * MB),
            entry(`${slice}/vte-spawn-2c7f3a1e-5b0d-4e8a-9f61-0d3c2b7a9e14.scope`, 96 * MB),
            entry(`${slice}/vte-spawn-9a4e61d0-7c2b-4f3e-8d15-6b0a1c9e2f73.scope`, 55 * MB),
        ]);
        const t = inv.apps[0];
        assert.equal(t?.appId, 'org.gnome.Terminal');
        assert.equal(t?.memory, 336 * MB);
        assert.equal(t?.cgroups, 4);
        assert.deepEqual(t?.units, [`${MANAGER}/${slice}`]);
    });

    it('without the slice entry, the tabs and the server are summed and the slice is still the unit to stop', () => {
        const slice = 'app.slice/app-org.gnome.Terminal.slice';
        const inv = build([
            entry(`${slice}/gnome-terminal-server.service`, 185 * MB),
            entry(`${slice}/vte-spawn-a.scope`, 96 * MB),
            entry(`${slice}/vte-spawn-b.scope`, 55 * MB),
        ]);
        assert.equal(inv.apps[0]?.memory, 336 * MB);
        assert.deepEqual(inv.apps[0]?.units, [`${MANAGER}/${slice}`]);
    });

    it('never adds a child to its parent (Nautilus slice + service; a scope with a sub-cgroup)', () => {
        const slice = 'app.slice/app-dbus\\x2d:1.2\\x2dorg.gnome.Nautilus.slice';
        const inv = build([
            entry(slice, 451 * MB, { leaf: false }),
            entry(`${slice}/dbus-:1.2-org.gnome.Nautilus@0.service`, 451 * MB),
            entry('app.slice/app-gnome-firefox-4242.scope', 1000 * MB, { leaf: false }),
            entry('app.slice/app-gnome-firefox-4242.scope/sub', 600 * MB),
        ]);
        assert.deepEqual(inv.apps.map(a => [a.appId, a.memory, a.units.length]),
            [['firefox', 1000 * MB, 1], ['org.gnome.Nautilus', 451 * MB, 1]]);
    });

    it('autostart and D-Bus forms get their app id unescaped', () => {
        const inv = build([
            entry('app.slice/app-org.gnome.Evolution\\x2dalarm\\x2dnotify@autostart.service', 48 * MB),
            entry('app.slice/dbus-:1.15-org.gnome.Calendar@0.service', 60 * MB),
        ]);
        assert.deepEqual(inv.apps.map(a => a.appId), ['org.gnome.Calendar', 'org.gnome.Evolution-alarm-notify']);
    });

    it('tabs of an unknown terminal are one row named "Terminal tabs"', () => {
        const inv = build([
            entry('app.slice/vte-spawn-a.scope', 10 * MB),
            entry('app.slice/vte-spawn-b.scope', 20 * MB),
        ]);
        assert.deepEqual(inv.apps.map(a => [a.appId, a.name, a.memory, a.units.length]),
            [['vte-spawn', 'Terminal tabs', 30 * MB, 2]]);
    });

    it('a plain service in app.slice is an app-like row', () => {
        const inv = build([entry('app.slice/syncthing.service', 80 * MB)]);
        assert.deepEqual(inv.apps.map(a => [a.appId, a.units]), [['syncthing', [`${MANAGER}/app.slice/syncthing.service`]]]);
    });

    it('a quadlet inside an app slice is taken out of that app\'s row', () => {
        const inv = build([
            entry('app.slice/app-media.slice', 3000 * MB, { leaf: false }),
            entry('app.slice/app-media.slice/player.service', 497 * MB),
            entry('app.slice/app-media.slice/jellyfin.service', 2503 * MB, { leaf: false }),
            entry(`app.slice/app-media.slice/jellyfin.service/libpod-payload-${JELLY}`, 2500 * MB),
            entry('app.slice/app-media.slice/jellyfin.service/runtime', 3 * MB),
        ]);
        assert.deepEqual(inv.apps.map(a => [a.appId, a.memory]), [['media', 497 * MB]]);
        assert.deepEqual(inv.containers.map(c => [c.name, c.memory]), [['jellyfin', 2503 * MB]]);
    });
});

describe('buildInventory: ranking and top N', () => {
    const seven = [
        entry('app.slice/app-gnome-a-1.scope', 100 * MB),
        entry('app.slice/app-gnome-b-1.scope', 700 * MB),
        entry('app.slice/app-gnome-c-1.scope', 300 * MB),
        entry('app.slice/app-gnome-d-1.scope', 500 * MB),
        entry('app.slice/app-gnome-e-1.scope', 600 * MB),
        entry('app.slice/app-gnome-f-1.scope', 200 * MB),
        entry('app.slice/app-gnome-g-1.scope', 400 * MB),
    ];

    it('ranks by memory.current, largest first, and cuts to the top N with the count of the rest', () => {
        const inv = build(seven);
        assert.deepEqual(inv.apps.map(a => a.appId), ['b', 'e', 'd', 'g', 'c']);
        assert.equal(inv.moreApps, 2);
        const three = build(seven, { topN: 3 });
        assert.deepEqual(three.apps.map(a => a.appId), ['b', 'e', 'd']);
        assert.equal(three.moreApps, 4);
    });

    it('shows everything when N is larger, nothing when N is 0; N is floored', () => {
        assert.equal(build(seven, { topN: 10 }).apps.length, 7);
        assert.equal(build(seven, { topN: 10 }).moreApps, 0);
        assert.deepEqual(build(seven, { topN: 0 }).apps, []);
        assert.equal(build(seven, { topN: 0 }).moreApps, 7);
        assert.equal(build(seven, { topN: 2.9 }).apps.length, 2);
        assert.equal(build(seven, { topN: -1 }).apps.length, 0);
        assert.equal(build(seven, { topN: Number.NaN }).apps.length, 0);
    });

    it('breaks ties by name, ascending, ignoring case', () => {
        const inv = build([
            entry('app.slice/app-gnome-Zeta-1.scope', 100 * MB),
            entry('app.slice/app-gnome-beta-1.scope', 100 * MB),
            entry('app.slice/app-gnome-Alpha-1.scope', 100 * MB),
        ]);
        assert.deepEqual(inv.apps.map(a => a.appId), ['Alpha', 'beta', 'Zeta']);
    });

    it('the same paths with new numbers rank anew; other paths, then the first ones again, each get their own rows', () => {
        // The tree's shape is kept between calls with the same paths (a scan ranks twice, and scans
        // repeat on an unchanged tree): only the shape, never a number or a row.
        assert.deepEqual(build(seven, { topN: 2 }).apps.map(a => a.appId), ['b', 'e']);
        const regrown = seven.map(e => ({ ...e, memoryCurrent: e.path.includes('-a-') ? 900 * MB : e.memoryCurrent }));
        assert.deepEqual(build(regrown, { topN: 2 }).apps.map(a => a.appId), ['a', 'b']);
        const renamed = seven.map(e => ({ ...e, path: e.path.replace('app-gnome-b-1', 'app-gnome-z-1') }));
        assert.deepEqual(build(renamed, { topN: 2 }).apps.map(a => a.appId), ['z', 'e']);
        const fewer = seven.slice(2);
        assert.deepEqual(build(fewer, { topN: 2 }).apps.map(a => a.appId), ['e', 'd']);
        assert.deepEqual(build(seven, { topN: 2 }).apps.map(a => a.appId), ['b', 'e']);
        assert.deepEqual([...detailPaths(renamed, MANAGER, { ...OPTS, topN: 1 })], [`${MANAGER}/app.slice/app-gnome-z-1.scope`]);
    });

    it('ranks containers the same way and cuts them to the same N', () => {
        const ids = ['1', '2', '3'].map(d => d.repeat(64));
        const inv = build(ids.map((id, i) => entry(`user.slice/libpod-${id}.scope`, (i + 1) * 100 * MB)), { topN: 2 });
        assert.deepEqual(inv.containers.map(c => c.id), [ids[2], ids[1]]);
        assert.equal(inv.moreContainers, 1);
    });
});

describe('buildInventory: unreadable numbers', () => {
    it('a null memory ranks last and is shown as "–"', () => {
        const inv = build([
            entry('app.slice/app-gnome-org.gnome.Calculator-8.scope', null),
            entry('app.slice/app-gnome-tiny-1.scope', 1),
        ]);
        assert.deepEqual(inv.apps.map(a => [a.appId, a.memory]), [['tiny', 1], ['org.gnome.Calculator', null]]);
        assert.equal(formatMemory(inv.apps[1]?.memory ?? null), '–');
        assert.equal(formatMemory(2.5e9), '2.5 GB');
    });

    it('rows with null memory are ordered by name among themselves', () => {
        const inv = build([entry('app.slice/app-gnome-b-1.scope', null), entry('app.slice/app-gnome-a-1.scope', null)]);
        assert.deepEqual(inv.apps.map(a => a.appId), ['a', 'b']);
    });

    it('an unreadable cgroup of an app does not break the sum: the readable ones add up', () => {
        const inv = build([
            entry('app.slice/app-gnome-firefox-1.scope', 4000 * MB),
            entry('app.slice/app-gnome-firefox-2.scope', null),
        ]);
        assert.equal(inv.apps[0]?.memory, 4000 * MB);
        assert.equal(inv.apps[0]?.cgroups, 2);
    });

    it('an unreadable parent is replaced by the sum of its readable children', () => {
        const slice = 'app.slice/app-org.gnome.Terminal.slice';
        const inv = build([
            entry(slice, null, { leaf: false }),
            entry(`${slice}/vte-spawn-a.scope`, 96 * MB),
            entry(`${slice}/vte-spawn-b.scope`, null),
            entry(`${slice}/gnome-terminal-server.service`, 185 * MB),
        ]);
        assert.equal(inv.apps[0]?.memory, 281 * MB);
    });

    it('memory.stat can be unreadable while memory.current is fine, and the other way round', () => {
        const inv = build([
            entry('app.slice/app-gnome-org.gnome.Weather-9.scope', 15728640, { anon: null, file: null }),
            entry('app.slice/app-gnome-x-1.scope', null, { anon: 5, file: 6 }),
        ]);
        assert.deepEqual(inv.apps.map(a => [a.appId, a.memory, a.anon, a.file]),
            [['org.gnome.Weather', 15728640, null, null], ['x', null, 5, 6]]);
    });

    it('non-finite numbers count as unreadable', () => {
        const inv = build([entry('app.slice/app-gnome-x-1.scope', Number.NaN, { anon: Infinity, file: 3 })]);
        assert.deepEqual(inv.apps.map(a => [a.memory, a.anon, a.file]), [[null, null, 3]]);
    });
});

describe('buildInventory: containers', () => {
    it('a quadlet is one row: the service cgroup holds payload and runtime; it is not an app', () => {
        const inv = build([entry('app.slice', 9000 * MB, { leaf: false }), ...QUADLET]);
        assert.deepEqual(inv.apps, []);
        assert.deepEqual(inv.containers, [{
            id: JELLY, name: 'jellyfin', unit: 'jellyfin.service', unitPath: `${MANAGER}/app.slice/jellyfin.service`,
            payloadPath: `${MANAGER}/app.slice/jellyfin.service/libpod-payload-${JELLY}`, style: 'quadlet',
            memory: 2503 * MB, anon: Math.round(2503 * MB * 0.7), file: Math.round(2503 * MB * 0.2),
            paused: false, transcoding: true,
        }]);
    });

    it('counts the runtime to the container when only the leaves were scanned', () => {
        const inv = build(QUADLET.slice(1));
        assert.equal(inv.containers[0]?.memory, 2503 * MB);
    });

    it('podman run: the scope (with crun\'s container child) plus conmon; payload is the container child', () => {
        const inv = build(PODMAN_RUN);
        const c = inv.containers[0];
        assert.equal(inv.containers.length, 1);
        assert.equal(c?.name, `container ${IMMICH.slice(0, 12)}`);
        assert.equal(c?.unit, `libpod-${IMMICH}.scope`);
        assert.equal(c?.style, 'run');
        assert.equal(c?.payloadPath, `${MANAGER}/user.slice/libpod-${IMMICH}.scope/container`);
        assert.equal(c?.memory, 2041 * MB);
        assert.equal(c?.transcoding, false);
    });

    it('names come from podman\'s listing (full or short id), else from the unit', () => {
        const names = new Map([[JELLY, 'systemd-jellyfin'], [IMMICH.slice(0, 12), 'immich_server']]);
        const inv = build([...QUADLET, ...PODMAN_RUN], { containerNames: names });
        assert.deepEqual(inv.containers.map(c => c.name), ['systemd-jellyfin', 'immich_server']);
        const empty = build(QUADLET, { containerNames: new Map([[JELLY, '']]) });
        assert.equal(empty.containers[0]?.name, 'jellyfin');
    });

    it('the unit-name fallback is unescaped', () => {
        const inv = build([entry(`app.slice/my\\x2dmedia.service/libpod-payload-${JELLY}`, MB)]);
        assert.equal(inv.containers[0]?.name, 'my-media');
    });

    it('transcoding: a command from the list in any cgroup of the container', () => {
        assert.equal(build(QUADLET).containers[0]?.transcoding, true);
        assert.equal(build(QUADLET, { transcoders: [] }).containers[0]?.transcoding, false);
        assert.equal(build(QUADLET, { transcoders: ['HandBrakeCLI'] }).containers[0]?.transcoding, false);
        const hb = [entry(`user.slice/libpod-${IMMICH}.scope/container`, MB, { commands: ['HandBrakeCLI'] })];
        assert.equal(build(hb, { transcoders: ['ffmpeg', ' HandBrakeCLI '] }).containers[0]?.transcoding, true);
    });

    it('transcoding: names longer than the kernel\'s 15-byte comm still match', () => {
        const e = [entry(`user.slice/libpod-${IMMICH}.scope/container`, MB, { commands: ['jellyfin-ffmpeg'] })];
        assert.equal(build(e, { transcoders: ['jellyfin-ffmpeg6'] }).containers[0]?.transcoding, true);
        assert.equal(build(e, { transcoders: ['FFMPEG'] }).containers[0]?.transcoding, false);
    });

    it('paused from the payload\'s frozen, or the unit\'s when the payload\'s is unknown', () => {
        const frozen = QUADLET.map(e => (e.path.includes('libpod-payload') ? { ...e, frozen: true } : e));
        assert.equal(build(frozen).containers[0]?.paused, true);
        assert.equal(build(QUADLET).containers[0]?.paused, false);
        const unitFrozen = QUADLET.map(e => (e.path.endsWith('jellyfin.service') ? { ...e, frozen: true }
            : e.path.includes('libpod-payload') ? { ...e, frozen: null } : e));
        assert.equal(build(unitFrozen).containers[0]?.paused, true);
        const unknown = QUADLET.map(e => ({ ...e, frozen: null }));
        assert.equal(build(unknown).containers[0]?.paused, false);
    });

    it('conmon or runtime without a payload makes no row', () => {
        const inv = build([PODMAN_RUN[2] as CgroupEntry, entry('app.slice/other.service/runtime', MB)]);
        assert.deepEqual(inv.containers, []);
    });
});

describe('buildInventory: session, background, totals', () => {
    it('session and background are totals, not rows', () => {
        const inv = build([
            entry('session.slice', 961 * MB, { leaf: false }),
            entry('session.slice/org.gnome.Shell@wayland.service', 838 * MB),
            entry('session.slice/pipewire.service', 25 * MB),
            entry('background.slice/localsearch-3.service', 143 * MB),
            entry('background.slice/x.service', 7 * MB),
        ]);
        assert.deepEqual(inv.apps, []);
        assert.equal(inv.session.memory, 961 * MB);
        assert.equal(inv.background.memory, 150 * MB);
        assert.equal(inv.background.anon, Math.round(143 * MB * 0.7) + Math.round(7 * MB * 0.7));
    });

    it('absent groups total null', () => {
        const inv = build([]);
        assert.deepEqual(inv.session, { memory: null, anon: null, file: null });
        assert.deepEqual(inv.total, { memory: null, anon: null, file: null });
        assert.deepEqual([inv.apps, inv.containers, inv.moreApps, inv.moreContainers], [[], [], 0, 0]);
    });

    it('total is the manager\'s own cgroup, or the sum of the top-level ones when it is missing', () => {
        const parts = [
            entry('init.scope', 12 * MB),
            entry('app.slice', 100 * MB, { leaf: false }),
            entry('app.slice/app-gnome-a-1.scope', 100 * MB),
            entry('session.slice', 50 * MB),
        ];
        assert.equal(build([entry('', 170 * MB, { leaf: false }), ...parts]).total.memory, 170 * MB);
        assert.equal(build(parts).total.memory, 162 * MB);
    });
});

describe('buildInventory: input hygiene', () => {
    it('ignores entries outside the manager, including look-alike prefixes', () => {
        const inv = build([
            { ...entry('', 0), path: '/user.slice/user-1001.slice/user@1001.service/app.slice/app-gnome-firefox-1.scope' },
            { ...entry('', 0), path: `${MANAGER}x/app.slice/app-gnome-firefox-1.scope` },
            { ...entry('', 0), path: '/system.slice/app.slice/app-gnome-firefox-1.scope' },
            { ...entry('', 0), path: 'app.slice/app-gnome-firefox-1.scope' },
            { ...entry('', 0), path: `${MANAGER}/../app.slice/app-gnome-firefox-1.scope` },
            entry('app.slice/app-gnome-org.gnome.Evolution-5120.scope', 1396 * MB),
        ]);
        assert.deepEqual(inv.apps.map(a => a.appId), ['org.gnome.Evolution']);
        assert.equal(inv.total.memory, 1396 * MB);
    });

    it('accepts a manager path with a trailing slash', () => {
        const inv = buildInventory([entry('app.slice/app-gnome-a-1.scope', MB)], `${MANAGER}/`, OPTS);
        assert.deepEqual(inv.apps.map(a => a.units), [[`${MANAGER}/app.slice/app-gnome-a-1.scope`]]);
    });

    it('uses the first of duplicate entries', () => {
        const inv = build([entry('app.slice/app-gnome-a-1.scope', MB), entry('app.slice/app-gnome-a-1.scope', 5 * MB)]);
        assert.equal(inv.apps[0]?.memory, MB);
    });

    it('hostile names come out literally, unescaped and unsanitised', () => {
        const inv = build([
            entry('app.slice/app-gnome-\\x3cb\\x3eBold\\x3c\\x2fb\\x3e-1.scope', 5 * MB),
            entry('app.slice/app-gnome-\\x24\\x28rm\\x20\\x2drf\\x20\\x7e\\x29-2.scope', 4 * MB),
            entry('app.slice/app-gnome-it\\x27s\\x20\\x22quoted\\x22-3.scope', 3 * MB),
            entry('app.slice/app-gnome-caf\\xc3\\xa9-4.scope', 2 * MB),
            entry('app.slice/app-flatpak-caf\\xffffffc3\\xffffffa9-5.scope', 2 * MB),
            entry(`app.slice/app-gnome-${'y'.repeat(300)}-6.scope`, MB),
        ], { topN: 10 });
        assert.deepEqual(inv.apps.map(a => [a.name, a.memory]), [
            ['<b>Bold</b>', 5 * MB], ['$(rm -rf ~)', 4 * MB], ['café', 4 * MB], ['it\'s "quoted"', 3 * MB], ['y'.repeat(300), MB]]);
    });

    it('does not modify its input', () => {
        const input = [...QUADLET, ...PODMAN_RUN];
        const copy = structuredClone(input);
        build(input);
        assert.deepEqual(input, copy);
    });
});

// ---- the fixture trees, read with a tiny test-only loader --------------------------------------------

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

function readOrNull(file: string): string | null {
    try {
        return fs.readFileSync(file, 'utf8');
    } catch {
        return null;
    }
}

/** Reads a fixture tree below `managerPath` into CgroupEntry records, as the scanner would. */
function loadTree(tree: string, managerPath: string): CgroupEntry[] {
    const root = path.join(FIXTURES, tree);
    const out: CgroupEntry[] = [];
    const visit = (rel: string): void => {
        const dir = path.join(root, rel);
        const subdirs = fs.readdirSync(dir, { withFileTypes: true }).filter(d => d.isDirectory()).map(d => d.name);
        const current = readOrNull(path.join(dir, 'memory.current'));
        const statText = readOrNull(path.join(dir, 'memory.stat'));
        const stat = statText === null ? null : parseKeyValues(statText);
        const statValue = (k: string) => (stat?.ok ? stat.value.get(k) ?? null : null);
        const eventsText = readOrNull(path.join(dir, 'cgroup.events'));
        const events = eventsText === null ? null : parseKeyValues(eventsText);
        const eventValue = (k: string) => {
            const v = events?.ok ? events.value.get(k) : undefined;
            return v === undefined ? null : v === 1;
        };
        out.push({
            path: `/${rel}`,
            leaf: subdirs.length === 0,
            memoryCurrent: current !== null && /^\d+\s*$/.test(current) ? Number(current) : null,
            anon: statValue('anon'),
            file: statValue('file'),
            pgscan: statValue('pgscan'),
            oomGroup: readOrNull(path.join(dir, 'memory.oom.group'))?.trim() === '1',
            preference: 'none',
            ownerUid: null,
            frozen: eventValue('frozen'),
            populated: eventValue('populated'),
            commands: (readOrNull(path.join(dir, 'headroom.commands')) ?? '').split('\n').filter(c => c !== ''),
        });
        for (const d of subdirs)
            visit(`${rel}/${d}`);
    };
    visit(managerPath.slice(1));
    return out;
}

describe('buildInventory: the seed incident fixture', () => {
    const entries = loadTree('seed', MANAGER);
    const names = new Map([[IMMICH, 'immich_server']]);
    const byPath = new Map(entries.map(e => [e.path.slice(MANAGER.length + 1), e]));
    const mem = (rel: string) => byPath.get(rel)?.memoryCurrent ?? Number.NaN;

    it('ranks the apps Firefox, Evolution, Slack, VS Code, Nautilus; three more', () => {
        const inv = build(entries, { containerNames: names });
        assert.deepEqual(inv.apps.map(a => a.appId),
            ['firefox', 'org.gnome.Evolution', 'com.slack.Slack', 'code', 'org.gnome.Nautilus']);
        assert.deepEqual(inv.apps.map(a => formatMemory(a.memory)), ['6.0 GB', '1.4 GB', '1.2 GB', '747 MB', '451 MB']);
        assert.equal(inv.moreApps, 3);
        assert.deepEqual(inv.apps[0]?.units, [`${MANAGER}/app.slice/app-gnome-firefox-4242.scope`]);
        assert.equal(inv.apps[0]?.anon, 4939212800);
        assert.equal(inv.apps[0]?.file, 805306368);
    });

    it('adds the two Terminal tabs and the server up to Terminal; the rest of the list', () => {
        const inv = build(entries, { topN: 20 });
        assert.deepEqual(inv.apps.slice(5).map(a => a.appId),
            ['org.gnome.Terminal', 'org.gnome.Evolution-alarm-notify', 'evolution-source-registry']);
        const t = inv.apps[5];
        assert.equal(t?.memory, 184549376 + 96468992 + 54525952);
        assert.equal(t?.cgroups, 4);
        assert.deepEqual(t?.units, [`${MANAGER}/app.slice/app-org.gnome.Terminal.slice`]);
    });

    it('shows Jellyfin transcoding at 2.5 GB, then Immich', () => {
        const inv = build(entries, { containerNames: names });
        assert.deepEqual(inv.containers.map(c => [c.name, formatMemory(c.memory), c.transcoding, c.paused, c.style]), [
            ['jellyfin', '2.5 GB', true, false, 'quadlet'],
            ['immich_server', '2.0 GB', false, false, 'run'],
        ]);
        assert.equal(inv.containers[0]?.memory, 2500000000 + 3248128);
        assert.equal(inv.containers[0]?.payloadPath, `${MANAGER}/app.slice/jellyfin.service/libpod-payload-${JELLY}`);
        assert.equal(inv.containers[1]?.payloadPath, `${MANAGER}/user.slice/libpod-${IMMICH}.scope/container`);
        assert.equal(inv.moreContainers, 0);
    });

    it('the Jellyfin payload has the highest pgscan of all leaves', () => {
        const leaves = entries.filter(e => e.leaf).sort((a, b) => (b.pgscan ?? 0) - (a.pgscan ?? 0));
        assert.match(leaves[0]?.path ?? '', /libpod-payload-/);
    });

    it('session, background and total come from their cgroups; rows and totals cover the manager exactly once', () => {
        const inv = build(entries, { topN: 100 });
        assert.equal(inv.session.memory, mem('session.slice'));
        assert.equal(inv.background.memory, mem('background.slice'));
        assert.equal(inv.total.memory, mem(''));
        const sumRows = (rows: { memory: number | null }[]) => rows.reduce((s, r) => s + (r.memory ?? 0), 0);
        // What no row holds: systemd --user, and what the slices hold themselves.
        const slack = mem('init.scope')
            + mem('app.slice') - sumRows(inv.apps) - (inv.containers[0]?.memory ?? 0)
            + mem('user.slice') - (inv.containers[1]?.memory ?? 0);
        assert.equal(sumRows(inv.apps) + sumRows(inv.containers) + (inv.session.memory ?? 0) + (inv.background.memory ?? 0)
            + slack, inv.total.memory);
        assert.equal(mem('app.slice') - sumRows(inv.apps) - (inv.containers[0]?.memory ?? 0), 8388608);
        assert.ok(mem('app.slice') > 12.5e9 && mem('app.slice') < 13e9);
    });

    it('app.slice is at full avg10 62.40', () => {
        const text = readOrNull(path.join(FIXTURES, 'seed', MANAGER, 'app.slice', 'memory.pressure')) ?? '';
        assert.match(text, /^full avg10=62\.40 /m);
    });
});

describe('buildInventory: the hostile fixture', () => {
    const entries = loadTree('hostile', MANAGER);

    it('shows every hostile name literally, the unreadable app last, the malformed one without a split', () => {
        const inv = build(entries, { topN: 20 });
        const long = inv.apps.find(a => a.appId.startsWith('org.example.'));
        assert.equal(long?.appId.length, 255 - 'app-gnome-'.length - '-7.scope'.length);
        assert.deepEqual(inv.apps.map(a => a.name), [
            '<b>Bold</b>', '$(rm -rf ~)', 'it\'s "quoted"', 'café', '€', 'org.gnome.Weather', long?.appId,
            'org.gnome.Calculator']);
        const weather = inv.apps.find(a => a.appId === 'org.gnome.Weather');
        assert.deepEqual([weather?.memory, weather?.anon, weather?.file], [15728640, null, null]);
        const calc = inv.apps.at(-1);
        assert.deepEqual([calc?.memory, calc?.anon, calc?.file, formatMemory(calc?.memory ?? null)], [null, null, null, '–']);
    });
});

describe('detailPaths: whose memory.stat the shown rows need', () => {
    const withoutStat = (e: CgroupEntry): CgroupEntry => ({ ...e, anon: null, file: null, pgscan: null });
    const tree = [
        entry('app.slice', 9000 * MB, { leaf: false }),
        entry('app.slice/app-gnome-firefox-4242.scope', 4000 * MB),
        entry('app.slice/app-gnome-firefox-9001.scope', 100 * MB),
        entry('app.slice/app-org.gnome.Terminal.slice', 600 * MB, { leaf: false }),
        entry('app.slice/app-org.gnome.Terminal.slice/vte-spawn-1.scope', 400 * MB),
        entry('app.slice/app-org.gnome.Terminal.slice/vte-spawn-2.scope', 200 * MB),
        entry('app.slice/app-gnome-gedit-77.scope', 50 * MB),
        entry('app.slice/app-gnome-calculator-78.scope', 10 * MB),
        ...QUADLET,
        ...PODMAN_RUN,
        entry('session.slice/org.gnome.Shell@wayland.service', 300 * MB),
    ].map(withoutStat);

    it('picks the top-most cgroups of the top N apps and containers, and nothing else', () => {
        const paths = detailPaths(tree, MANAGER, { ...OPTS, topN: 2 });
        const rel = [...paths].map(p => p.slice(MANAGER.length + 1)).sort();
        assert.deepEqual(rel, [
            'app.slice/app-gnome-firefox-4242.scope',
            'app.slice/app-gnome-firefox-9001.scope',
            'app.slice/app-org.gnome.Terminal.slice',
            'app.slice/jellyfin.service',
            `user.slice/libpod-${IMMICH}.scope`,
            `user.slice/libpod-conmon-${IMMICH}.scope`,
        ].sort());
    });

    it('adds another row\'s cgroups inside a shown one, so that their share can be taken out', () => {
        const nested = [
            entry('app.slice/app-org.gnome.Terminal.slice', 3000 * MB, { leaf: false }),
            entry('app.slice/app-org.gnome.Terminal.slice/vte-spawn-1.scope', 400 * MB),
            entry('app.slice/app-org.gnome.Terminal.slice/jellyfin.service', 2503 * MB, { leaf: false }),
            entry(`app.slice/app-org.gnome.Terminal.slice/jellyfin.service/libpod-payload-${JELLY}`, 2500 * MB),
        ];
        const paths = detailPaths(nested.map(withoutStat), MANAGER, { ...OPTS, topN: 1 });
        assert.deepEqual([...paths].map(p => p.slice(MANAGER.length + 1)).sort(), [
            'app.slice/app-org.gnome.Terminal.slice',
            'app.slice/app-org.gnome.Terminal.slice/jellyfin.service',
        ]);
        const partial = nested.map(e => (paths.has(e.path) ? e : withoutStat(e)));
        const full = buildInventory(nested, MANAGER, { ...OPTS, topN: 1 });
        const read = buildInventory(partial, MANAGER, { ...OPTS, topN: 1 });
        assert.deepEqual(read.apps.map(a => [a.anon, a.file]), full.apps.map(a => [a.anon, a.file]));
        assert.deepEqual(read.containers.map(c => [c.anon, c.file]), full.containers.map(c => [c.anon, c.file]));
    });

    it('with those read, the shown rows have their in-use and cache split', () => {
        const paths = detailPaths(tree, MANAGER, { ...OPTS, topN: 2 });
        const full = new Map([...tree.map(e => entry(e.path.slice(MANAGER.length + 1), e.memoryCurrent, { leaf: e.leaf, commands: e.commands }))]
            .map(e => [e.path, e]));
        const read = tree.map(e => (paths.has(e.path) ? full.get(e.path) ?? e : e));
        const inv = buildInventory(read, MANAGER, { ...OPTS, topN: 2 });
        assert.deepEqual(inv.apps.map(a => [a.appId, a.anon !== null, a.file !== null]),
            [['firefox', true, true], ['org.gnome.Terminal', true, true]]);
        assert.ok(inv.containers.every(c => c.anon !== null && c.file !== null));
    });

    it('is empty for a list of none, and for an empty tree', () => {
        assert.equal(detailPaths(tree, MANAGER, { ...OPTS, topN: 0 }).size, 0);
        assert.equal(detailPaths([], MANAGER, OPTS).size, 0);
    });
});
