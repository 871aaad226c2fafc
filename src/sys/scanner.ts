// The inventory scan: walks the user's manager subtree (user@UID.service) asynchronously and reads,
// per cgroup, memory.current and memory.stat; for cgroups with children memory.oom.group; for
// containers cgroup.events and the command names of their processes. Reads run on GIO's worker
// threads, a bounded number of directories at a time; a vanished cgroup is simply left out.

import type Gio from 'gi://Gio';

import type { CgroupEntry, OomdPreference } from '../core/cgroup-entry.js';
import { parseKeyValues } from '../core/keyvalue.js';
import { Semaphore } from '../core/semaphore.js';
import { isDirectory, listChildren, readText } from './files.js';

export interface ScanOptions {
    root: string;
    /** The user's manager, below root, e.g. /user.slice/user-1000.slice/user@1000.service */
    managerPath: string;
    /** Where /proc is (a fixture folder in tests). */
    procRoot: string;
    /** Whether to read cgroup.events and process command names for a cgroup (containers). */
    wantDetails: (pathBelowManager: string) => boolean;
    cancellable: Gio.Cancellable | null;
    /** Read memory.stat (anon, file, pgscan) too; false reads only memory.current (default true). */
    full?: boolean;
}

const CHILD_ATTRIBUTES = 'standard::name,standard::type,unix::uid,xattr::oomd_avoid,xattr::oomd_omit';
const MAX_DIRS_IN_FLIGHT = 16;
const MAX_PIDS_PER_CGROUP = 64;

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
    const limit = new Semaphore(MAX_DIRS_IN_FLIGHT);
    const base = `${opts.root}${opts.managerPath}`;

    const visit = async (below: string, info: Gio.FileInfo | null): Promise<void> => {
        const dir = below === '' ? base : `${base}/${below}`;
        const children = await limit.run(() => listChildren(dir, CHILD_ATTRIBUTES, opts.cancellable));
        if (!children.ok) {
            if (children.error.code !== 'missing' && children.error.code !== 'cancelled')
                problems.push(children.error.message);
            return;
        }
        const subdirs = children.value.filter(isDirectory);
        if (info) {
            dirs.push({
                below,
                leaf: subdirs.length === 0,
                preference: preferenceOf(info),
                ownerUid: info.has_attribute('unix::uid') ? info.get_attribute_uint32('unix::uid') : null,
            });
        }
        await Promise.all(subdirs.map(child =>
            visit(below === '' ? child.get_name() : `${below}/${child.get_name()}`, child)));
    };

    await visit('', null);
    dirs.sort((a, b) => (a.below < b.below ? -1 : a.below > b.below ? 1 : 0));
    return { dirs, problems };
}

/**
 * Reads the memory files of known cgroup directories. A directory removed since the walk reads as
 * nulls until the next walk, which its parent's directory monitor asks for.
 */
export function readEntries(opts: ScanOptions, dirs: readonly CgroupDir[]): Promise<CgroupEntry[]> {
    const limit = new Semaphore(MAX_DIRS_IN_FLIGHT);
    return Promise.all(dirs.map(d => limit.run(() => readEntry(opts, d))));
}

/** Walks and reads: the whole inventory in one go. */
export async function scanTree(opts: ScanOptions): Promise<ScanResult> {
    const walk = await walkTree(opts);
    return { entries: await readEntries(opts, walk.dirs), problems: walk.problems };
}

async function readEntry(opts: ScanOptions, { below, leaf, preference, ownerUid }: CgroupDir): Promise<CgroupEntry> {
    const path = `${opts.managerPath}/${below}`;
    const dir = `${opts.root}${path}`;
    const details = opts.wantDetails(below);
    const [current, stat, oomGroup, events, commands] = await Promise.all([
        readText(`${dir}/memory.current`, opts.cancellable),
        opts.full === false ? null : readText(`${dir}/memory.stat`, opts.cancellable),
        leaf ? null : readText(`${dir}/memory.oom.group`, opts.cancellable),
        details ? readText(`${dir}/cgroup.events`, opts.cancellable) : null,
        details ? readCommands(dir, opts) : [],
    ]);

    const memoryCurrent = current.ok && /^\d+\s*$/.test(current.value) ? Number(current.value) : null;
    const parsedStat = stat?.ok ? parseKeyValues(stat.value) : null;
    const statValue = (key: string) => (parsedStat?.ok ? parsedStat.value.get(key) ?? null : null);
    const parsedEvents = events?.ok ? parseKeyValues(events.value) : null;
    const eventValue = (key: string) => {
        const v = parsedEvents?.ok ? parsedEvents.value.get(key) : undefined;
        return v === undefined ? null : v === 1;
    };

    return {
        path,
        leaf,
        memoryCurrent,
        anon: statValue('anon'),
        file: statValue('file'),
        pgscan: statValue('pgscan'),
        oomGroup: oomGroup?.ok === true && oomGroup.value.trim() === '1',
        preference,
        ownerUid,
        frozen: eventValue('frozen'),
        populated: eventValue('populated'),
        commands,
    };
}

/** oomd's preference xattrs (set by systemd for ManagedOOMPreference=); omit wins over avoid. */
function preferenceOf(info: Gio.FileInfo): OomdPreference {
    if (info.get_attribute_string('xattr::oomd_omit') === '1')
        return 'omit';
    if (info.get_attribute_string('xattr::oomd_avoid') === '1')
        return 'avoid';
    return 'none';
}

async function readCommands(dir: string, opts: ScanOptions): Promise<string[]> {
    const procs = await readText(`${dir}/cgroup.procs`, opts.cancellable);
    if (!procs.ok)
        return [];
    const pids = procs.value.split('\n').filter(p => /^\d+$/.test(p)).slice(0, MAX_PIDS_PER_CGROUP);
    const names = await Promise.all(pids.map(pid => readText(`${opts.procRoot}/${pid}/comm`, opts.cancellable)));
    // A process that exited between the two reads is simply not counted.
    return [...new Set(names.flatMap(n => (n.ok ? [n.value.trim()] : [])))];
}
