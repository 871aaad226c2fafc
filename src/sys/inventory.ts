// Keeps the inventory fresh without cost: a full scan every few seconds only while someone looks
// (menu open) or pressure is high, rarely otherwise; file monitors on the slices (cgroups appearing or
// vanishing) and on containers' cgroup.events (frozen, populated) trigger a prompt rescan in between.
// Podman's container list is read asynchronously and cached; it is refreshed when a container id
// appears that the cache does not know.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import type { CgroupEntry } from '../core/cgroup-entry.js';
import { Disposer } from '../core/disposer.js';
import { SerialTask } from '../core/serial.js';
import { _ } from '../core/i18n.js';
import { parsePodmanPs, podmanArgv, type PodmanContainer } from '../core/podman.js';
import { CommandNames, readEntries, walkTree, type CgroupDir, type ReadGuard } from './scanner.js';
import { filesystemType, KeptFiles } from './files.js';
import { watch } from './monitor.js';
import { run } from './subprocess.js';

const CONTAINER_ID = /libpod-(?:payload-)?([0-9a-f]{64})(?:\.scope)?$/;
const PODMAN_LIST_TIMEOUT_MS = 15000;
const DEBOUNCE_MS = 300;
const MIN_PGSCAN_INTERVAL_SEC = 1;
/** A scan waits this long for its reads; one that has not answered by then counts as unreadable. */
const SCAN_LIMIT_MS = 20000;
/** Scans between two walks of the tree even without a monitor event. */
const REWALK_EVERY = 20;
/**
 * While only the menu looks (pressure low), a scan reads memory.current of the shown rows' cgroups,
 * of cgroups with children and of containers, and of one in this many of the other leaves, in turn:
 * each leaf is read at least every ROTATION scans (12 s at the menu's 3 s), and a leaf that grows
 * shows in its parent's number at once.
 */
const ROTATION = 4;
/**
 * Files kept open between scans at most (the shown rows' memory.current and memory.stat, on cgroupfs):
 * a few dozen on a desktop, bounded so that an odd tree cannot eat into the shell's descriptors.
 */
const MAX_KEPT_FILES = 128;

export interface InventoryScan {
    time: number;
    entries: CgroupEntry[];
    /** The previous scan's cumulative pgscan per path, for oomd's "scanned hardest lately" rule. */
    previousPgscan: ReadonlyMap<string, number>;
    containers: ReadonlyMap<string, PodmanContainer>;
    /** Why podman's names are missing (not installed, failed), or null. */
    podmanProblem: string | null;
    problems: string[];
}

export interface InventoryOptions {
    root: string;
    procRoot: string;
    managerPath: string;
    podman: () => string;
    /**
     * Whose memory.stat to read, once memory.current of every cgroup is known: 'all' (oomd's candidates
     * need pgscan while pressure is up), the cgroups behind the shown rows, or none.
     */
    statFor: (entries: readonly CgroupEntry[]) => 'all' | ReadonlySet<string>;
    /**
     * Whether leaves other than the shown rows' may be read in turns (ROTATION) rather than all at
     * every scan: true while only the menu looks, false while oomd's candidates matter.
     */
    rotate: () => boolean;
    /** How long a scan waits for its reads (default 20 s; tests shorten it). */
    scanLimitMs?: number;
    /**
     * Keep the files read at every scan open between scans (KeptFiles). Default: when the root is a
     * cgroup2 file system, whose files the kernel writes anew for every read from offset 0.
     */
    keepFilesOpen?: boolean;
    /** Seconds between full scans while active / while idle. */
    activeIntervalSec: () => number;
    idleIntervalSec: () => number;
    onScan: (scan: InventoryScan) => void;
    onError: (error: unknown) => void;
}

export class InventoryService {
    private readonly _disposer: Disposer;
    private readonly _cancellable = new Gio.Cancellable();
    private _active = false;
    private _timer = 0;
    private _debounce = 0;
    private readonly _scanning = new SerialTask(() => this._scan(), () => this._schedule());
    /** pgscan per path of the last scan, and of the one before it that is at least a second older. */
    private _pgscan = new Map<string, number>();
    private _pgscanAt = -Infinity;
    private _baseline = new Map<string, number>();
    private _containers = new Map<string, PodmanContainer>();
    private _podmanProblem: string | null = null;
    private _podmanKnown = new Set<string>();
    private _watch: Disposer | null = null;
    private _watched = '';
    private _last: InventoryScan | null = null;
    /** The cgroup directories of the last walk; null when the tree must be listed again. */
    private _dirs: CgroupDir[] | null = null;
    private _problems: string[] = [];
    private _scansSinceWalk = 0;
    private readonly _commandNames = new CommandNames();
    /** The cgroups behind the rows shown after the last scan (what statFor picked), and the scan count. */
    private _shown: ReadonlySet<string> = new Set();
    private _turn = 0;
    private _rotating = false;
    /** Paths with a read in progress, across scans (ReadGuard). */
    private readonly _busy = new Set<string>();
    /** The shown rows' files, kept open while the menu shows them; null until the root's file system is known. */
    private _kept: KeptFiles | null = null;
    private _keepOpen: boolean | null = null;

    constructor(private readonly _opts: InventoryOptions) {
        this._disposer = new Disposer(_opts.onError);
        this._disposer.defer(() => this._cancellable.cancel());
        this._disposer.defer(() => this._kept?.closeAll());
        this._disposer.defer(() => {
            if (this._timer)
                GLib.source_remove(this._timer);
            if (this._debounce)
                GLib.source_remove(this._debounce);
        });
    }

    start(): void {
        this.scanNow();
    }

    stop(): void {
        this._disposer.dispose();
    }

    /** Active while the menu is open or pressure is high: scans come every few seconds. */
    set active(active: boolean) {
        if (active === this._active)
            return;
        this._active = active;
        if (active)
            this.scanNow();
        else
            this._schedule();
    }

    /** Scans now, or right after the scan in progress. */
    scanNow(): void {
        if (!this._cancellable.is_cancelled())
            this._scanning.request();
    }

    private _schedule(): void {
        if (this._cancellable.is_cancelled())
            return;
        if (this._timer)
            GLib.source_remove(this._timer);
        const seconds = this._active ? this._opts.activeIntervalSec() : this._opts.idleIntervalSec();
        this._timer = GLib.timeout_add_seconds(GLib.PRIORITY_LOW, seconds, () => {
            this._timer = 0;
            this.scanNow();
            return GLib.SOURCE_REMOVE;
        });
    }

    private _soon(): void {
        if (this._debounce || this._cancellable.is_cancelled())
            return;
        this._debounce = GLib.timeout_add(GLib.PRIORITY_LOW, DEBOUNCE_MS, () => {
            this._debounce = 0;
            this.scanNow();
            return GLib.SOURCE_REMOVE;
        });
    }

    /** A scan, bounded in time: a read that has not answered at the limit counts as unreadable. */
    private async _scan(): Promise<void> {
        let timer = 0;
        const limitMs = this._opts.scanLimitMs ?? SCAN_LIMIT_MS;
        const deadline = new Promise<void>(resolve => {
            timer = GLib.timeout_add(GLib.PRIORITY_LOW, limitMs, () => {
                timer = 0;
                resolve();
                return GLib.SOURCE_REMOVE;
            });
        });
        try {
            await this._scanGuarded({ busy: this._busy, deadline }, limitMs);
        } finally {
            if (timer !== 0)
                GLib.source_remove(timer);
        }
    }

    private async _scanGuarded(guard: ReadGuard, limitMs: number): Promise<void> {
        const { root, procRoot, managerPath } = this._opts;
        if (this._keepOpen === null) {
            this._keepOpen = this._opts.keepFilesOpen ?? await filesystemType(root, this._cancellable) === 'cgroup2';
            this._kept = this._keepOpen ? new KeptFiles(MAX_KEPT_FILES) : null;
            if (this._cancellable.is_cancelled())
                return;
        }
        let complete = false;
        // Carried over only from a scan that rotated too: the first scan after the menu opens reads all.
        const rotating = this._opts.rotate();
        const earlier = this._last && rotating && this._rotating ? new Map(this._last.entries.map(e => [e.path, e])) : null;
        this._rotating = rotating;
        const turn = this._turn++;
        const wantDetails = (below: string) => CONTAINER_ID.test(below) || below.endsWith('/container');
        const opts = {
            root, procRoot, managerPath, cancellable: this._cancellable,
            wantDetails,
            statFor: (entries: readonly CgroupEntry[]) => {
                const wanted = this._opts.statFor(entries);
                complete = wanted === 'all';
                this._shown = wanted === 'all' ? new Set() : wanted;
                return wanted;
            },
            reuse: (dir: CgroupDir, index: number): CgroupEntry | null => {
                if (!earlier || !dir.leaf || wantDetails(dir.below) || index % ROTATION === turn % ROTATION)
                    return null;
                const path = `${managerPath}/${dir.below}`;
                return this._shown.has(path) ? null : earlier.get(path) ?? null;
            },
            // What runs in a container matters only to the menu and the warning's actions.
            commands: this._active,
            commandNames: this._commandNames,
            guard,
            // While the menu is open, the files read at every scan (the shown rows', the cgroups with
            // children, the containers') are kept open; the other leaves are read in turns.
            kept: this._kept ?? undefined,
            keepOpen: (entry: CgroupEntry) => rotating &&
                (!entry.leaf || this._shown.has(entry.path) || wantDetails(entry.path.slice(managerPath.length + 1))),
        };
        if (this._active)
            this._commandNames.nextScan();
        // The tree is listed again only when cgroups appeared or vanished (the directory monitors say
        // so), and now and then in case a monitor could not be set up; otherwise only files are read.
        if (this._dirs === null || this._scansSinceWalk >= REWALK_EVERY) {
            const walk = await Promise.race([walkTree(opts), guard.deadline.then(() => null)]);
            if (walk === null) {
                // A listing that does not answer: the next scan lists again (the stuck folder is left
                // out while its listing is still pending) and shows what it can meanwhile.
                this._dirs = null;
                this._problems = [_('Listing the cgroup tree took longer than %d s').replace('%d', () => String(limitMs / 1000))];
                this._last = this._last
                    ? { ...this._last, problems: this._problems }
                    : {
                        time: GLib.get_monotonic_time() / 1e6, entries: [], previousPgscan: new Map(),
                        containers: this._containers, podmanProblem: this._podmanProblem, problems: this._problems,
                    };
                this._opts.onScan(this._last);
                return;
            }
            this._dirs = walk.dirs;
            this._problems = walk.problems;
            this._scansSinceWalk = 0;
        }
        this._scansSinceWalk++;
        const result = { entries: await readEntries(opts, this._dirs), problems: this._problems };
        if (this._cancellable.is_cancelled())
            return;
        // Rows no longer shown (or a closed menu): their files are closed.
        this._kept?.sweep();

        const ids = new Set(result.entries.flatMap(e => {
            const m = CONTAINER_ID.exec(e.path);
            return m ? [m[1] as string] : [];
        }));
        // oomd compares pgscan with its look about a second earlier. A scan that follows the last one
        // closely (a monitor event) is compared with the older baseline, not with a nearly equal count.
        // Only scans that read every memory.stat count: a missing count is not a count of 0.
        const now = GLib.get_monotonic_time() / 1e6;
        if (!complete) {
            this._baseline = new Map<string, number>();
            this._pgscanAt = -Infinity;
        } else if (now - this._pgscanAt >= MIN_PGSCAN_INTERVAL_SEC) {
            this._baseline = this._pgscan;
            this._pgscanAt = now;
        }
        const previousPgscan = this._baseline;
        this._pgscan = complete
            ? new Map(result.entries.flatMap(e => (e.pgscan === null ? [] : [[e.path, e.pgscan] as const])))
            : new Map<string, number>();
        this._rewatch(result.entries);
        this._last = {
            time: GLib.get_monotonic_time() / 1e6,
            entries: result.entries,
            previousPgscan,
            containers: this._containers,
            podmanProblem: this._podmanProblem,
            problems: result.problems,
        };
        this._opts.onScan(this._last);

        // Podman's names arrive later, without holding up the scan; the last scan is shown again with them.
        if ([...ids].some(id => !this._podmanKnown.has(id))) {
            void this._refreshPodman(ids).then(() => {
                if (this._cancellable.is_cancelled() || !this._last)
                    return;
                this._last = { ...this._last, containers: this._containers, podmanProblem: this._podmanProblem };
                this._opts.onScan(this._last);
            });
        }
    }

    private async _refreshPodman(ids: Set<string>): Promise<void> {
        // Whatever the outcome, these ids are not asked about again until a new one appears.
        this._podmanKnown = ids;
        const r = await run(podmanArgv.list(this._opts.podman()), PODMAN_LIST_TIMEOUT_MS, this._cancellable);
        if (!r.ok) {
            this._podmanProblem = r.error.code === 'not-found'
                ? _('podman is not installed: containers are shown by their unit names')
                : r.error.message;
            return;
        }
        const parsed = parsePodmanPs(r.value.stdout);
        if (!parsed.ok) {
            this._podmanProblem = parsed.error.message;
            return;
        }
        this._podmanProblem = null;
        this._containers = new Map(parsed.value.map(c => [c.id, c]));
    }

    /** Monitors the directories that hold units, and the cgroup.events of containers. */
    private _rewatch(entries: CgroupEntry[]): void {
        const { root, managerPath } = this._opts;
        const dirs = [managerPath, ...entries.filter(e => !e.leaf).map(e => e.path)];
        const events = entries.filter(e => e.frozen !== null).map(e => e.path);
        const key = `${dirs.join('\n')}\n--\n${events.join('\n')}`;
        if (key === this._watched)
            return;
        this._watched = key;
        this._watch?.dispose();
        const watcher = this._watch = this._disposer.child();

        for (const dir of dirs) {
            watch(watcher, `${root}${dir}`, 'directory', this._cancellable, event => {
                if (event === Gio.FileMonitorEvent.CREATED || event === Gio.FileMonitorEvent.DELETED) {
                    this._dirs = null;
                    this._soon();
                }
            });
        }
        for (const path of events) {
            watch(watcher, `${root}${path}/cgroup.events`, 'file', this._cancellable, event => {
                if (event === Gio.FileMonitorEvent.CHANGED)
                    this._soon();
            });
        }
    }
}
