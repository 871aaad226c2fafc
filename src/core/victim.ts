// Which cgroup systemd-oomd would kill for memory pressure on a monitored cgroup, as v257 chooses it
// (src/oom/oomd-util.c: recursively_get_cgroup_context, oomd_fetch_cgroup_oom_preference,
// oomd_sort_cgroup_contexts, compare_pgscan_rate_and_memory_usage, oomd_kill_by_pgscan_rate):
//
//  * candidates are the descendants of the monitored cgroup that are leaves or have memory.oom.group = 1;
//    oomd does not descend into an oom group, so nothing below one is a candidate on its own;
//    a monitored cgroup without children is its own candidate;
//  * candidates with a cumulative pgscan of 0 and memory.current of 0 are skipped;
//  * ManagedOOMPreference (xattrs user.oomd_avoid / user.oomd_omit on the candidate's own cgroup):
//    `omit` removes the candidate, `avoid` puts it after every `none`. oomd honours the xattr only when
//    the candidate's cgroup is owned by root or by the owner of the monitored cgroup; otherwise it counts
//    as `none`. Not inherited: `avoid` on a quadlet's unit does not protect its libpod-payload leaf;
//  * then the larger pgscan delta since oomd's previous look (`pgscan - last_pgscan`; a counter that went
//    backwards counts from 0; a cgroup oomd had not seen before has last_pgscan 0, so its whole cumulative
//    pgscan counts), then the larger memory.current.
//
// oomd tries the candidates in this order and stops at the first kill that hits at least one process.

import type { CgroupEntry, OomdPreference } from './cgroup-entry.js';

export interface Candidate {
    /** The candidate's cgroup path (entry.path). */
    path: string;
    entry: CgroupEntry;
    /** The preference oomd applies after the ownership rule: `none` or `avoid` (`omit` never ranks). */
    preference: Exclude<OomdPreference, 'omit'>;
    /** pgscan increase since the previous reading oomd would use. */
    pgscanDelta: number;
}

/** True when `path` lies strictly below `ancestor`. */
export function isBelow(path: string, ancestor: string): boolean {
    const prefix = ancestor.endsWith('/') ? ancestor : `${ancestor}/`;
    return path.startsWith(prefix) && path.length > prefix.length;
}

/** oomd's pgscan "rate": the delta since the previous value; backwards or unseen counts from 0. */
export function pgscanDelta(pgscan: number | null, previous: number | undefined): number {
    const now = pgscan ?? 0;
    const last = previous ?? 0;
    return last > now ? now : now - last;
}

/**
 * The preference oomd applies: honoured when the candidate is owned by root, or by the owner of the
 * monitored cgroup; `none` otherwise, and `none` when the candidate's owner is unknown.
 */
export function effectivePreference(entry: CgroupEntry, monitoredOwnerUid: number | null): OomdPreference {
    if (entry.preference === 'none')
        return 'none';
    if (entry.ownerUid === 0)
        return entry.preference;
    if (entry.ownerUid !== null && entry.ownerUid === monitoredOwnerUid)
        return entry.preference;
    return 'none';
}

const PREFERENCE_ORDER = { none: 0, avoid: 1 } as const;

/**
 * oomd's candidates for a pressure kill under `monitoredPath`, best victim first.
 * `entries` may include cgroups outside the monitored one (they are ignored) and the monitored cgroup
 * itself. `previousPgscan` maps paths to the cumulative pgscan of oomd's previous look (about 1 s ago).
 */
export function rankCandidates(
    monitoredPath: string,
    entries: readonly CgroupEntry[],
    previousPgscan: ReadonlyMap<string, number>,
    monitoredOwnerUid: number | null,
): Candidate[] {
    const byPath = new Map(entries.map(e => [e.path, e]));
    const below = entries.filter(e => isBelow(e.path, monitoredPath));

    let pool: CgroupEntry[];
    if (below.length === 0) {
        const self = byPath.get(monitoredPath);
        pool = self?.leaf ? [self] : [];
    } else {
        pool = below.filter(e => (e.leaf || e.oomGroup) && !insideOomGroup(e.path, monitoredPath, byPath));
    }

    const ranked: Candidate[] = [];
    for (const entry of pool) {
        if ((entry.pgscan ?? 0) === 0 && (entry.memoryCurrent ?? 0) === 0)
            continue;
        const preference = effectivePreference(entry, monitoredOwnerUid);
        if (preference === 'omit')
            continue;
        ranked.push({ path: entry.path, entry, preference, pgscanDelta: pgscanDelta(entry.pgscan, previousPgscan.get(entry.path)) });
    }
    return ranked.sort(compareCandidates);
}

/**
 * The cgroup oomd would kill, or null. Like oomd, passes over a candidate known to hold no process
 * (`populated` false), since killing it kills nothing and oomd moves on to the next.
 */
export function pickVictim(
    monitoredPath: string,
    entries: readonly CgroupEntry[],
    previousPgscan: ReadonlyMap<string, number>,
    monitoredOwnerUid: number | null,
): Candidate | null {
    return rankCandidates(monitoredPath, entries, previousPgscan, monitoredOwnerUid)
        .find(c => c.entry.populated !== false) ?? null;
}

/** Full ties keep the order of `entries` (oomd's own order among them is its hash table's). */
function compareCandidates(a: Candidate, b: Candidate): number {
    const pref = PREFERENCE_ORDER[a.preference] - PREFERENCE_ORDER[b.preference];
    if (pref !== 0)
        return pref;
    if (a.pgscanDelta !== b.pgscanDelta)
        return b.pgscanDelta - a.pgscanDelta;
    return (b.entry.memoryCurrent ?? 0) - (a.entry.memoryCurrent ?? 0);
}

/** Whether a cgroup strictly between the monitored one and `path` is an oom group oomd would stop at. */
function insideOomGroup(path: string, monitoredPath: string, byPath: ReadonlyMap<string, CgroupEntry>): boolean {
    let parent = path.slice(0, path.lastIndexOf('/'));
    while (parent.length > 0 && isBelow(parent, monitoredPath)) {
        if (byPath.get(parent)?.oomGroup)
            return true;
        parent = parent.slice(0, parent.lastIndexOf('/'));
    }
    return false;
}
