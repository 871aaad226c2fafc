// When the watched slices' last pressure readings still hold, told by one file: their common parent's.
//
// PSI is hierarchical (kernel/sched/psi.c: psi_group_change() walks every ancestor of a task's cgroup):
// while any task below a cgroup is stalled on memory, that cgroup's `some` state is on, so a stall in any
// watched slice adds to their parent's `some total`. While that total stays the same, no slice below has
// stalled, and their `full total`s have not moved either.
//
// Their averages follow the totals late: the kernel folds the stall time into avg10 every 2 s (PSI_FREQ,
// or at the next read of the file once that is due). So a slice that read `full avg10=0.00` right after a
// stall may still show it a second later. The readings stand only when they were taken after the parent
// had been quiet for longer than one averaging period, every one showed avg10 0.00, and the parent's total
// has not changed since: then each slice's file would read the same `full` line again.
//
// The sampler reads the parent's file first at every tick; only when the readings do not stand does it read
// the slices' own files, after the parent's (so that "quiet since" covers them).

/** Longer than one averaging period of the kernel (2 s), with slack for its timer. */
export const SETTLE_SEC = 3;

/**
 * The deepest cgroup above all of `paths` (paths below the cgroup root: '' is the root itself); null for
 * fewer than two paths, where reading a parent as well would save nothing.
 */
export function commonParent(paths: readonly string[]): string | null {
    if (paths.length < 2)
        return null;
    const parents = paths.map(p => p.split('/').slice(0, -1));
    const first = parents[0] ?? [];
    let depth = first.length;
    for (const parts of parents)
        depth = Math.min(depth, firstDifference(first, parts));
    return first.slice(0, depth).join('/');
}

function firstDifference(a: readonly string[], b: readonly string[]): number {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i])
        i++;
    return i;
}

/** A reading of the parent: its `some total` (µs) and when it was read (monotonic seconds). */
export interface ParentReading {
    time: number;
    someTotal: number;
}

export class QuietGate {
    private _total: number | null = null;
    /** When the parent was first seen at `_total`. */
    private _since = 0;
    private _settled = false;

    constructor(private readonly _settleSec = SETTLE_SEC) {}

    /**
     * The parent was read: true when the slices' last readings still stand (nothing to read), false when
     * the slices must be read (then `slicesRead` with this reading once they all answered).
     */
    parentRead(parent: ParentReading): boolean {
        if (parent.someTotal !== this._total) {
            this._total = parent.someTotal;
            this._since = parent.time;
            this._settled = false;
        }
        return this._settled;
    }

    /**
     * Every slice was read after `parent`: their readings stand from now on when the parent had been quiet
     * long enough before, is still at the same total, and every slice read full avg10 0.00 (`allZero`;
     * false as well when a read failed).
     */
    slicesRead(parent: ParentReading, allZero: boolean): void {
        if (allZero && parent.someTotal === this._total && parent.time - this._since >= this._settleSec)
            this._settled = true;
    }

    /** Forgets all: the parent could not be read, or the slices changed. */
    reset(): void {
        this._total = null;
        this._settled = false;
    }
}
