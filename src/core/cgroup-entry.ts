// What the inventory scanner (src/sys/scanner.ts) reads for each cgroup under the user's manager, and
// what classification, ranking and oomd's victim rule work on.

export type OomdPreference = 'none' | 'avoid' | 'omit';

export interface CgroupEntry {
    /** Path below the cgroup root, starting with '/', e.g. /user.slice/user-1000.slice/user@1000.service/app.slice/x.scope */
    path: string;
    /** True when the cgroup has no child cgroups. */
    leaf: boolean;
    /** memory.current in bytes; null when unreadable. */
    memoryCurrent: number | null;
    /** memory.stat `anon`, `file` (bytes) and cumulative `pgscan`; null when unreadable. */
    anon: number | null;
    file: number | null;
    pgscan: number | null;
    /** memory.oom.group is 1: oomd treats the cgroup as one candidate and does not descend into it. */
    oomGroup: boolean;
    /** From the xattrs user.oomd_avoid / user.oomd_omit; see ownerUid for when oomd honours them. */
    preference: OomdPreference;
    /** Owner of the cgroup directory; null when unknown. */
    ownerUid: number | null;
    /** cgroup.events `frozen`; null when unreadable. */
    frozen: boolean | null;
    /** cgroup.events `populated`; null when unreadable. */
    populated: boolean | null;
    /** Command names (/proc/PID/comm) of the processes in the cgroup; read only for containers, else []. */
    commands: string[];
}
