// Who holds the memory: the scanner's cgroups under the user's manager, grouped into one row per app and
// per container, ranked by memory.current, cut to the top N; plus totals for the session, background
// services and the whole manager.
//
// Summing: a parent's memory.current (and memory.stat anon/file) already includes its children, so a
// group adds up only its top-most cgroups — those with no ancestor in the same group — and never a child
// to its parent. When a top-most cgroup holds another group's cgroups (a quadlet inside an app's slice),
// those are taken out of it, so no byte is in two rows.
//
// Unreadable numbers: a cgroup whose value is null is replaced by the sum of its readable children (the
// nearest scanned descendants). A row's value is the sum of what could be read, a lower bound when some
// of it was unreadable, and null only when nothing of it was readable. Rows with a null memory rank after
// all others and are shown as '–' (formatMemory), as the panel shows a pressure it cannot read.

import type { CgroupEntry } from './cgroup-entry.js';
import { classify, type Classification } from './classify.js';
import { formatBytes, unescapeUnitName } from './format.js';
import { _, fill } from './i18n.js';

export interface Totals {
    /** memory.current in bytes; null when nothing of it was readable. */
    memory: number | null;
    /** memory.stat anon and file in bytes; null when nothing of it was readable. */
    anon: number | null;
    file: number | null;
}

export interface AppRow extends Totals {
    /** Desktop id without .desktop (or D-Bus name, or unit name for app-like units), unescaped. */
    appId: string;
    /** The unescaped id, shown literally when no .desktop file matches it. */
    name: string;
    /** Unit cgroups to stop to close the app, as paths below the cgroup root. */
    units: string[];
    /** How many scanned cgroups belong to the app (its units and everything below them). */
    cgroups: number;
}

export interface ContainerRow extends Totals {
    /** 64 hex digits. */
    id: string;
    /** Podman's name; else the quadlet unit's name without .service; else "container <12 hex>". */
    name: string;
    /** The systemd unit: jellyfin.service (quadlet) or libpod-<id>.scope (podman run). */
    unit: string;
    /** The unit's cgroup, below the cgroup root. */
    unitPath: string;
    /** The payload cgroup (what podman pauses and oomd may kill), below the cgroup root. */
    payloadPath: string;
    style: 'quadlet' | 'run';
    /** The payload's cgroup.events says frozen (podman pause or systemd freeze). */
    paused: boolean;
    /** A process in the container has a command name from the transcoders setting. */
    transcoding: boolean;
}

export interface Inventory {
    apps: AppRow[];
    containers: ContainerRow[];
    /** How many apps / containers were left out after the top N. */
    moreApps: number;
    moreContainers: number;
    /** session.slice: shown for the total, never offered for closing. */
    session: Totals;
    /** background.slice: the same. */
    background: Totals;
    /** The whole manager (user@UID.service). */
    total: Totals;
}

export interface InventoryOptions {
    /** Rows shown per list (setting, default 5). */
    topN: number;
    /** Command names that mean "transcoding" (setting, default ['ffmpeg']). */
    transcoders: readonly string[];
    /** Container id (64 hex) → name, from podman's own listing. */
    containerNames: ReadonlyMap<string, string>;
}

type Field = 'memoryCurrent' | 'anon' | 'file';
const FIELDS: readonly Field[] = ['memoryCurrent', 'anon', 'file'];

/** The kernel keeps 15 bytes of a command name (TASK_COMM_LEN 16): /proc/PID/comm is cut there. */
const COMM_LENGTH = 15;

/** A row's size in words: "2.5 GB", or '–' when it could not be read. */
export function formatMemory(memory: number | null): string {
    return memory === null ? '–' : formatBytes(memory);
}

export function buildInventory(entries: readonly CgroupEntry[], managerPath: string, opts: InventoryOptions): Inventory {
    const tree = treeOf(entries, managerPath);
    const topN = shownCount(opts.topN);
    const apps = rankApps(tree);
    const containers = rankContainers(tree, opts);

    return {
        apps: apps.slice(0, topN).map(a => tree.appRow(a.key)),
        containers: containers.slice(0, topN),
        moreApps: Math.max(0, apps.length - topN),
        moreContainers: Math.max(0, containers.length - topN),
        session: tree.groupTotals('session'),
        background: tree.groupTotals('background'),
        total: tree.totals(''),
    };
}

/**
 * The cgroups whose memory.stat the shown rows need for their "in use · cache" split: the top-most
 * cgroups of the top N apps and containers (a parent's numbers include its children), and the cgroups
 * of other rows inside them, whose share is taken out. Ranking needs only memory.current, so the
 * scanner can ask this before it reads any memory.stat. Paths below the cgroup root, as in the entries.
 */
export function detailPaths(entries: readonly CgroupEntry[], managerPath: string, opts: InventoryOptions): Set<string> {
    const tree = treeOf(entries, managerPath);
    const topN = shownCount(opts.topN);
    const keys = [
        ...rankApps(tree).slice(0, topN).map(a => a.key),
        ...rankContainers(tree, opts).slice(0, topN).map(c => `container:${c.id}`),
    ];
    return new Set(keys.flatMap(key => tree.statPathsOf(key)));
}

function shownCount(topN: number): number {
    return Number.isFinite(topN) ? Math.max(0, Math.floor(topN)) : 0;
}

/**
 * Every app, largest first, by what ranking needs: its memory and name. Rows are built only for the
 * shown ones (this runs at every scan, twice, over every app of the tree).
 */
function rankApps(tree: Tree): { key: string; memory: number | null; name: string }[] {
    return tree.appKeys().map(key => ({ key, memory: tree.groupValue(key, 'memoryCurrent'), name: tree.appName(key) }))
        .sort(byMemoryThenName);
}

function rankContainers(tree: Tree, opts: InventoryOptions): ContainerRow[] {
    return tree.containerIds().map(id => tree.containerRow(id, opts)).sort(byMemoryThenName);
}

function byMemoryThenName(a: { memory: number | null; name: string }, b: { memory: number | null; name: string }): number {
    if (a.memory !== b.memory) {
        if (a.memory === null)
            return 1;
        if (b.memory === null)
            return -1;
        return b.memory - a.memory;
    }
    return compareText(a.name.toLowerCase(), b.name.toLowerCase()) || compareText(a.name, b.name);
}

function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

function ancestorsOf(rel: string): string[] {
    const parts = rel.split('/');
    const out: string[] = [];
    for (let i = parts.length - 1; i >= 1; i--)
        out.push(parts.slice(0, i).join('/'));
    return out;
}

/**
 * The last shape built: a scan's rows are ranked twice (detailPaths, then buildInventory) and the tree
 * is listed again only when cgroups come or go, so the same paths come back scan after scan. A cache of
 * one pure result: the output depends on the paths alone, whatever was asked before.
 */
let lastShape: Shape | null = null;

function treeOf(entries: readonly CgroupEntry[], managerPath: string): Tree {
    const manager = managerPath.replace(/\/+$/, '');
    if (!lastShape?.fits(entries, manager))
        lastShape = new Shape(entries.map(e => e.path), manager);
    return new Tree(entries, lastShape);
}

/**
 * What the paths alone decide: which cgroups are below the manager, their classes, their nearest
 * scanned parents, the row each counts to, and each row's top-most cgroups.
 */
class Shape {
    /** The path below the manager of each entry (by index), null for one outside it or seen before. */
    readonly relOf: (string | null)[] = [];
    readonly classes = new Map<string, Classification>();
    readonly children = new Map<string, string[]>();
    readonly keys = new Map<string, string | null>();
    readonly members = new Map<string, string[]>();
    readonly containerUnits = new Map<string, string>();
    private readonly _topMost = new Map<string, string[]>();

    constructor(private readonly _paths: readonly string[], readonly manager: string) {
        const rels = new Set<string>();
        for (const path of _paths) {
            const rel = this._relative(path);
            this.relOf.push(rel !== null && !rels.has(rel) ? rel : null);
            if (rel !== null)
                rels.add(rel);
        }
        for (const rel of rels) {
            const cls = classify(rel);
            this.classes.set(rel, cls);
            if (cls.kind === 'container' && !this.containerUnits.has(cls.unitPath))
                this.containerUnits.set(cls.unitPath, cls.containerId);
        }
        for (const rel of rels) {
            if (rel === '')
                continue;
            const parent = ancestorsOf(rel).find(a => rels.has(a)) ?? '';
            const siblings = this.children.get(parent) ?? [];
            siblings.push(rel);
            this.children.set(parent, siblings);
        }
        for (const rel of rels) {
            const key = this._keyOf(rel);
            this.keys.set(rel, key);
            if (key !== null) {
                const members = this.members.get(key) ?? [];
                members.push(rel);
                this.members.set(key, members);
            }
        }
    }

    /** Whether this shape is the one of these entries' paths. */
    fits(entries: readonly CgroupEntry[], manager: string): boolean {
        return manager === this.manager && entries.length === this._paths.length &&
            entries.every((e, i) => e.path === this._paths[i]);
    }

    /** Members of a group with no ancestor in the same group. */
    topMost(key: string): string[] {
        let top = this._topMost.get(key);
        if (top === undefined) {
            const members = this.members.get(key) ?? [];
            const set = new Set(members);
            top = members.filter(m => !ancestorsOf(m).some(a => set.has(a))).sort(compareText);
            this._topMost.set(key, top);
        }
        return top;
    }

    private _relative(path: string): string | null {
        const trimmed = path.replace(/\/+$/, '');
        if (trimmed === this.manager)
            return '';
        if (!trimmed.startsWith(`${this.manager}/`))
            return null;
        const rel = trimmed.slice(this.manager.length + 1);
        return rel.split('/').some(p => p === '' || p === '.' || p === '..') ? null : rel;
    }

    /** Which row a cgroup counts to: 'app:<id>', 'container:<id>', 'session', 'background', or none. */
    private _keyOf(rel: string): string | null {
        const cls = this.classes.get(rel) ?? { kind: 'other' };
        switch (cls.kind) {
        case 'container':
            return `container:${cls.containerId}`;
        case 'container-runtime': {
            const id = cls.containerId ?? this.containerUnits.get(cls.unitPath);
            return id === undefined ? null : `container:${id}`;
        }
        default:
            break;
        }
        // A quadlet's service cgroup (and anything else in it) is the container's, not an app's.
        for (const at of [rel, ...ancestorsOf(rel)]) {
            const id = this.containerUnits.get(at);
            if (id !== undefined)
                return `container:${id}`;
        }
        switch (cls.kind) {
        case 'app':
            return `app:${cls.appId}`;
        case 'session':
        case 'background':
            return cls.kind;
        default:
            return null;
        }
    }
}

/** The scanned cgroups below the manager, keyed by path below it ('' is the manager itself), with their numbers. */
class Tree {
    private readonly _entries = new Map<string, CgroupEntry>();
    /** Each field's value per cgroup, as _valueOf found it. */
    private readonly _cover: Record<Field, Map<string, number | null>> = { memoryCurrent: new Map(), anon: new Map(), file: new Map() };

    constructor(entries: readonly CgroupEntry[], private readonly _shape: Shape) {
        entries.forEach((e, i) => {
            const rel = _shape.relOf[i];
            if (rel !== null && rel !== undefined)
                this._entries.set(rel, e);
        });
    }

    private _absolute(rel: string): string {
        return rel === '' ? this._shape.manager : `${this._shape.manager}/${rel}`;
    }

    appKeys(): string[] {
        return [...this._shape.members.keys()].filter(k => k.startsWith('app:'));
    }

    containerIds(): string[] {
        return [...new Set(this._shape.containerUnits.values())];
    }

    /**
     * The cgroups whose anon and file make up a group's row (absolute paths): its top-most cgroups, and
     * inside them the top-most cgroups of other groups, whose share is taken out (_foreignIn).
     */
    statPathsOf(key: string): string[] {
        const out: string[] = [];
        const visit = (rel: string) => {
            for (const child of this._shape.children.get(rel) ?? []) {
                const childKey = this._shape.keys.get(child) ?? null;
                if (childKey === null || childKey === key)
                    visit(child);
                else
                    out.push(this._absolute(child));
            }
        };
        for (const top of this._shape.topMost(key)) {
            out.push(this._absolute(top));
            visit(top);
        }
        return out;
    }

    /** A cgroup's value, or the sum of its nearest scanned descendants' when it is unreadable. */
    private _valueOf(rel: string, field: Field): number | null {
        const memo = this._cover[field];
        const known = memo.get(rel);
        if (known !== undefined)
            return known;
        const own = this._entries.get(rel)?.[field] ?? null;
        let value: number | null = own !== null && Number.isFinite(own) ? own : null;
        if (value === null) {
            for (const child of this._shape.children.get(rel) ?? []) {
                const v = this._valueOf(child, field);
                if (v !== null)
                    value = (value ?? 0) + v;
            }
        }
        memo.set(rel, value);
        return value;
    }

    /** What other groups hold inside a cgroup of group `key`. */
    private _foreignIn(rel: string, key: string, field: Field): number {
        let sum = 0;
        for (const child of this._shape.children.get(rel) ?? []) {
            const childKey = this._shape.keys.get(child) ?? null;
            if (childKey === null || childKey === key)
                sum += this._foreignIn(child, key, field);
            else
                sum += this._valueOf(child, field) ?? 0;
        }
        return sum;
    }

    groupValue(key: string, field: Field): number | null {
        let sum: number | null = null;
        for (const top of this._shape.topMost(key)) {
            const v = this._valueOf(top, field);
            if (v !== null)
                sum = (sum ?? 0) + Math.max(0, v - this._foreignIn(top, key, field));
        }
        return sum;
    }

    groupTotals(key: string): Totals {
        const [memory, anon, file] = FIELDS.map(f => this.groupValue(key, f)) as [number | null, number | null, number | null];
        return { memory, anon, file };
    }

    totals(rel: string): Totals {
        const [memory, anon, file] = FIELDS.map(f => this._valueOf(rel, f)) as [number | null, number | null, number | null];
        return { memory, anon, file };
    }

    /** An app row's name: its app id, or "Terminal tabs" for the tabs' scopes of a terminal. */
    appName(key: string): string {
        let terminalTabs = true;
        let units = 0;
        for (const top of this._shape.topMost(key)) {
            const cls = this._shape.classes.get(top);
            if (cls?.kind === 'app') {
                units++;
                terminalTabs &&= cls.launcher === 'terminal';
            }
        }
        return terminalTabs && units > 0 ? _('Terminal tabs') : key.slice('app:'.length);
    }

    appRow(key: string): AppRow {
        const appId = key.slice('app:'.length);
        const members = this._shape.members.get(key) ?? [];
        const units = new Set<string>();
        for (const top of this._shape.topMost(key)) {
            const cls = this._shape.classes.get(top);
            if (cls?.kind === 'app')
                units.add(cls.unit);
        }
        const unitList = [...units].filter(u => !ancestorsOf(u).some(a => units.has(a))).sort(compareText);
        return {
            appId,
            name: this.appName(key),
            ...this.groupTotals(key),
            units: unitList.map(u => this._absolute(u)),
            cgroups: members.length,
        };
    }

    containerRow(id: string, opts: InventoryOptions): ContainerRow {
        const key = `container:${id}`;
        const members = this._shape.members.get(key) ?? [];
        let found: Extract<Classification, { kind: 'container' }> | null = null;
        for (const rel of members) {
            const cls = this._shape.classes.get(rel);
            if (cls?.kind === 'container' && (found === null || cls.payload.length > found.payload.length))
                found = cls;
        }
        // containerIds() lists only ids with a container cgroup, so `found` is set.
        const cls = found as Extract<Classification, { kind: 'container' }>;

        const frozen = this._entries.get(cls.payload)?.frozen ?? this._entries.get(cls.unitPath)?.frozen ?? null;
        const wanted = new Set(opts.transcoders.map(t => t.trim().slice(0, COMM_LENGTH)).filter(t => t !== ''));
        const transcoding = members.some(rel =>
            (this._entries.get(rel)?.commands ?? []).some(c => wanted.has(c.trim().slice(0, COMM_LENGTH))));

        return {
            id,
            name: this._containerName(id, cls, opts.containerNames),
            unit: cls.unit,
            unitPath: this._absolute(cls.unitPath),
            payloadPath: this._absolute(cls.payload),
            style: cls.style,
            ...this.groupTotals(key),
            paused: frozen === true,
            transcoding,
        };
    }

    private _containerName(id: string, cls: Extract<Classification, { kind: 'container' }>,
        names: ReadonlyMap<string, string>): string {
        const podman = names.get(id) ?? names.get(id.slice(0, 12));
        if (podman !== undefined && podman !== '')
            return podman;
        if (cls.style === 'quadlet')
            return unescapeUnitName(cls.unit.replace(/\.(service|scope)$/, ''));
        return fill(_('container %s'), id.slice(0, 12));
    }
}
