// The inventory scan: walks the user's manager subtree (user@UID.service) asynchronously, reading
// memory.oom.group of the cgroups that have children as it goes; then reads, per scan, memory.current
// of every cgroup, memory.stat of the cgroups asked for (those shown, or all of oomd's candidates while
// pressure is up), and for containers cgroup.events and the command names of their processes. Reads
// run on GIO's worker threads, a bounded number at a time; a vanished cgroup is simply left out.
//
// What a read costs is its completion on the main loop (~20–40 µs in GJS, whatever the file), so a scan
// reads as few files as answer the question: one per cgroup while nobody looks at the details.

import type Gio from 'gi://Gio';

import type { CgroupEntry, OomdPreference } from '../core/cgroup-entry.js';
import { parseKeyValues } from '../core/keyvalue.js';
import type { Result } from '../core/result.js';
import { Semaphore } from '../core/semaphore.js';
import { isDirectory, listChildren, readTextThen, stillReading, type KeptFiles } from './files.js';

export interface ScanOptions {
    root: string;
    /** The user's manager, below root, e.g. /user.slice/user-1000.slice/user@1000.service */
    managerPath: string;
    /** Where /proc is (a fixture folder in tests). */
    procRoot: string;
    /** Whether to read cgroup.events and process command names for a cgroup (containers). */
    wantDetails: (pathBelowManager: string) => boolean;
    cancellable: Gio.Cancellable | null;
    /**
     * Whose memory.stat (anon, file, pgscan) to read, decided once memory.current of every cgroup is
     * known: 'all', or a set of paths (below root). Default 'all'.
     */
    statFor?: (entries: readonly CgroupEntry[]) => 'all' | ReadonlySet<string>;
    /** Read the command names of the processes in containers (default true). */
    commands?: boolean;
    /** Names known from earlier scans (the inventory keeps one); without it every name is read. */
    commandNames?: CommandNames;
    /**
     * An earlier reading of a cgroup to use instead of reading it now, or null to read it (default:
     * read all). Only its memory.current, process names and cgroup.events state are taken over.
     */
    reuse?: (dir: CgroupDir, index: number) => CgroupEntry | null;
    /** Bounds the scan in time (the inventory keeps one); without it every read is awaited. */
    guard?: ReadGuard;
    /**
     * Files kept open between scans (on cgroupfs), for the cgroups `keepOpen` picks: those read at every
     * scan. Each of their reads (memory.current, memory.stat, a container's cgroup.events and
     * cgroup.procs) then costs one completion, not two.
     */
    kept?: KeptFiles;
    keepOpen?: (entry: CgroupEntry) => boolean;
}

/**
 * A scan's protection against reads that never answer (a kernfs read stuck on a lock, a completion
 * never dispatched): a path still being read by an earlier scan is not read again, and a read still
 * pending at `deadline` counts as a timeout, so that the scan ends with what it has.
 */
export interface ReadGuard {
    /** Paths with a read in progress, across scans. */
    busy: Set<string>;
    /** Resolves when the scan has waited long enough. */
    deadline: Promise<void>;
}

/** `read` of `path` through the scan's guard, if it has one (the deadline is raced per phase, not per read). */
function guarded<T>(opts: ScanOptions, path: string, read: () => Promise<Result<T>>): Promise<Result<T>> {
    const guard = opts.guard;
    if (!guard)
        return read();
    if (guard.busy.has(path))
        return Promise.resolve(stillReading(path));
    guard.busy.add(path);
    return read().then(result => {
        guard.busy.delete(path);
        return result;
    });
}

/** Waits for `work`, or for the scan's deadline if that comes first. */
function within(opts: ScanOptions, work: Promise<unknown>): Promise<unknown> {
    return opts.guard ? Promise.race([work, opts.guard.deadline]) : work;
}

const CHILD_ATTRIBUTES = 'standard::name,standard::type,unix::uid,xattr::oomd_avoid,xattr::oomd_omit';
const MAX_IN_FLIGHT = 64;
const MAX_PIDS_PER_CGROUP = 64;
/** Scans after which a known process's name is read again (it changes only when the process execs). */
const NAME_REREAD_SCANS = 10;

/**
 * Command names of processes by pid, kept between scans. A process gets its name when it execs, so a
 * pid seen before is read again only every few scans (in case the name was read between a fork and
 * the exec that follows it); a new pid is read at once, and pids that are gone are forgotten.
 */
export class CommandNames {
    private readonly _names = new Map<string, { name: string | null; readAt: number; seenAt: number }>();
    private _scan = 0;

    /** Starts a scan; forgets the pids the previous scan did not see. */
    nextScan(): void {
        for (const [pid, known] of this._names) {
            if (known.seenAt < this._scan)
                this._names.delete(pid);
        }
        this._scan++;
    }

    /** The name to use for `pid`, or undefined when it must be read. */
    lookup(pid: string): string | null | undefined {
        const known = this._names.get(pid);
        if (!known || this._scan - known.readAt >= NAME_REREAD_SCANS)
            return undefined;
        known.seenAt = this._scan;
        return known.name;
    }

    remember(pid: string, name: string | null): void {
        this._names.set(pid, { name, readAt: this._scan, seenAt: this._scan });
    }
}

export interface ScanResult {
    entries: CgroupEntry[];
    /** Directories that could not be listed (other than vanished ones), with the reason. */
    problems: string[];
}

/** A cgroup directory as the walk found it: what the directory listing tells, before any file is read. */
export interface CgroupDir {
    /** Path below the manager. */
    below: string;
    leaf: boolean;
    preference: OomdPreference;
    ownerUid: number | null;
    /** memory.oom.group of a cgroup with children (read with the walk: it changes only with the unit). */
    oomGroup: boolean;
}

export interface WalkResult {
    dirs: CgroupDir[];
    problems: string[];
}

/**
 * Lists the cgroup directories below the manager. Costly on the main loop (a listing returns every
 * control file too), so the inventory walks again only when cgroups appear or vanish.
 */
export async function walkTree(opts: ScanOptions): Promise<WalkResult> {
    const dirs: CgroupDir[] = [];
    const problems: string[] = [];
    const limit = new Semaphore(MAX_IN_FLIGHT);
    // Its reads run inside `limit`, which bounds listings and reads together.
    const pool = new ReadPool(opts);
    const base = `${opts.root}${opts.managerPath}`;

    const visit = async (below: string, info: Gio.FileInfo | null): Promise<void> => {
        const dir = below === '' ? base : `${base}/${below}`;
        const children = await limit.run(() => guarded(opts, dir, () => listChildren(dir, CHILD_ATTRIBUTES, opts.cancellable)));
        if (!children.ok) {
            if (children.error.code !== 'missing' && children.error.code !== 'cancelled')
                problems.push(children.error.message);
            return;
        }
        const subdirs = children.value.filter(isDirectory);
        if (info) {
            const leaf = subdirs.length === 0;
            const oomGroup = leaf ? null : await limit.run(() => pool.text(`${dir}/memory.oom.group`));
            dirs.push({
                below,
                leaf,
                preference: preferenceOf(info),
                ownerUid: info.has_attribute('unix::uid') ? info.get_attribute_uint32('unix::uid') : null,
                oomGroup: oomGroup?.ok === true && oomGroup.value.trim() === '1',
            });
        }
        await Promise.all(subdirs.map(child =>
            visit(below === '' ? child.get_name() : `${below}/${child.get_name()}`, child)));
    };

    await visit('', null);
    dirs.sort((a, b) => (a.below < b.below ? -1 : a.below > b.below ? 1 : 0));
    return { dirs, problems };
}

type Done = (text: Result<string>) => void;

/**
 * The reads of one scan, at most MAX_IN_FLIGHT at a time, through the scan's guard, with callbacks: a
 * scan reads a file or two per cgroup, hundreds in all, and a promise per read was a job for the main
 * loop to run and garbage for its collector on top of the read's own completions.
 */
class ReadPool {
    private _active = 0;
    private readonly _queue: [string, Done, boolean][] = [];

    constructor(private readonly _opts: ScanOptions) {}

    /** Reads `path`; `keep`: from a file kept open between scans, if the scan keeps files. */
    read(path: string, done: Done, keep = false): void {
        if (this._opts.guard?.busy.has(path)) {
            done(stillReading(path));
            return;
        }
        if (this._active < MAX_IN_FLIGHT)
            this._start(path, done, keep);
        else
            this._queue.push([path, done, keep]);
    }

    text(path: string, keep = false): Promise<Result<string>> {
        return new Promise(resolve => this.read(path, resolve, keep));
    }

    /** Reads every path, giving each answer to `use` with its index; resolves when all have answered. */
    all(paths: readonly string[], use: (index: number, text: Result<string>) => void,
        keep: (index: number) => boolean = () => false): Promise<void> {
        return new Promise(resolve => {
            let left = paths.length;
            if (left === 0)
                resolve();
            paths.forEach((path, i) => this.read(path, text => {
                use(i, text);
                if (--left === 0)
                    resolve();
            }, keep(i)));
        });
    }

    private _start(path: string, done: Done, keep: boolean): void {
        const busy = this._opts.guard?.busy;
        busy?.add(path);
        this._active++;
        const answered: Done = text => {
            busy?.delete(path);
            this._active--;
            const next = this._queue.shift();
            if (next)
                this._start(...next);
            done(text);
        };
        const file = keep ? this._opts.kept?.get(path) ?? null : null;
        if (file !== null)
            file.readThen(this._opts.cancellable, answered);
        else
            readTextThen(path, this._opts.cancellable, answered);
    }
}

/**
 * Reads the memory files of known cgroup directories: memory.current of all, then memory.stat of those
 * `statFor` picks. A directory removed since the walk reads as nulls until the next walk, which its
 * parent's directory monitor asks for.
 */
export async function readEntries(opts: ScanOptions, dirs: readonly CgroupDir[]): Promise<CgroupEntry[]> {
    const pool = new ReadPool(opts);
    // Filled in as the reads answer; what has not answered at the scan's deadline stays unread (null),
    // and an answer after it is not written into entries that went out.
    let open = true;
    const isOpen = () => open;
    const fresh: CgroupEntry[] = [];
    const details: Promise<void>[] = [];
    const entries = dirs.map((d, i) => {
        const earlier = opts.reuse?.(d, i) ?? null;
        if (earlier)
            return carriedOver(earlier, d);
        const entry = unread(opts, d);
        fresh.push(entry);
        if (opts.wantDetails(d.below))
            details.push(readDetails(opts, pool, entry, isOpen));
        return entry;
    });
    const kept = (list: readonly CgroupEntry[]) => (k: number) => opts.keepOpen?.(list[k] as CgroupEntry) ?? false;
    const currents = pool.all(fresh.map(e => `${opts.root}${e.path}/memory.current`), (k, text) => {
        if (open)
            (fresh[k] as CgroupEntry).memoryCurrent = text.ok && /^\d+\s*$/.test(text.value) ? Number(text.value) : null;
    }, kept(fresh));
    await within(opts, Promise.all([currents, ...details]));
    const wanted = opts.statFor?.(entries) ?? 'all';
    const stats = wanted === 'all' ? entries : entries.filter(e => wanted.has(e.path));
    await within(opts, pool.all(stats.map(e => `${opts.root}${e.path}/memory.stat`), (k, text) => {
        if (open)
            applyStat(stats[k] as CgroupEntry, text);
    }, kept(stats)));
    open = false;
    return entries;
}

/** Walks and reads: the whole inventory in one go. */
export async function scanTree(opts: ScanOptions): Promise<ScanResult> {
    const walk = await walkTree(opts);
    return { entries: await readEntries(opts, walk.dirs), problems: walk.problems };
}

/** A container's state (cgroup.events) and its processes' names, written into `entry` while the scan is open. */
async function readDetails(opts: ScanOptions, pool: ReadPool, entry: CgroupEntry, open: () => boolean): Promise<void> {
    const dir = `${opts.root}${entry.path}`;
    const keep = opts.keepOpen?.(entry) ?? false;
    const [events, commands] = await Promise.all([
        pool.text(`${dir}/cgroup.events`, keep),
        opts.commands !== false ? readCommands(dir, opts, pool, keep) : [],
    ]);
    if (!open())
        return;
    const parsedEvents = events.ok ? parseKeyValues(events.value) : null;
    const eventValue = (key: string) => {
        const v = parsedEvents?.ok ? parsedEvents.value.get(key) : undefined;
        return v === undefined ? null : v === 1;
    };
    entry.frozen = eventValue('frozen');
    entry.populated = eventValue('populated');
    entry.commands = commands;
}

/** A cgroup not read (yet): what the walk knows, every number null. */
function unread(opts: ScanOptions, { below, leaf, preference, ownerUid, oomGroup }: CgroupDir): CgroupEntry {
    return {
        path: `${opts.managerPath}/${below}`, leaf, preference, ownerUid, oomGroup,
        memoryCurrent: null, anon: null, file: null, pgscan: null, frozen: null, populated: null, commands: [],
    };
}

/** An earlier reading of a cgroup, with what the walk knows now; memory.stat is read anew if wanted. */
function carriedOver(earlier: CgroupEntry, { leaf, preference, ownerUid, oomGroup }: CgroupDir): CgroupEntry {
    return { ...earlier, leaf, preference, ownerUid, oomGroup, anon: null, file: null, pgscan: null };
}

function applyStat(entry: CgroupEntry, stat: Result<string>): void {
    const parsed = stat.ok ? parseKeyValues(stat.value) : null;
    if (!parsed?.ok)
        return;
    entry.anon = parsed.value.get('anon') ?? null;
    entry.file = parsed.value.get('file') ?? null;
    entry.pgscan = parsed.value.get('pgscan') ?? null;
}

/** oomd's preference xattrs (set by systemd for ManagedOOMPreference=); omit wins over avoid. */
function preferenceOf(info: Gio.FileInfo): OomdPreference {
    if (info.get_attribute_string('xattr::oomd_omit') === '1')
        return 'omit';
    if (info.get_attribute_string('xattr::oomd_avoid') === '1')
        return 'avoid';
    return 'none';
}

async function readCommands(dir: string, opts: ScanOptions, pool: ReadPool, keep: boolean): Promise<string[]> {
    const procs = await pool.text(`${dir}/cgroup.procs`, keep);
    if (!procs.ok)
        return [];
    const pids = procs.value.split('\n').filter(p => /^\d+$/.test(p)).slice(0, MAX_PIDS_PER_CGROUP);
    const cache = opts.commandNames;
    const names = await Promise.all(pids.map(async pid => {
        const known = cache?.lookup(pid);
        if (known !== undefined)
            return known;
        const comm = await pool.text(`${opts.procRoot}/${pid}/comm`);
        // A process that exited between the two reads is simply not counted.
        const name = comm.ok ? comm.value.trim() : null;
        if (comm.ok || comm.error.code === 'missing')
            cache?.remember(pid, name);
        return name;
    }));
    return [...new Set(names.filter((n): n is string => n !== null))];
}
