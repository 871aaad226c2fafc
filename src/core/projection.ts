// Early warning from the stall rate. The kernel updates avg10 only every 2 s
// (kernel/sched/psi.c: PSI_FREQ, EXP_10s = 1677/2048):  avg <- avg * f + sample * (1 - f),
// where sample is the stall share of the last period. `full total` (microseconds) is current on
// every read, so its delta between two readings shows the stall share before avg10 does.

export const PSI_PERIOD_SEC = 2;
export const EXP_10S = 1677 / 2048;

export interface TotalReading {
    /** Monotonic time, seconds. */
    time: number;
    /** `full total`, microseconds. */
    total: number;
}

/** Stall share between two readings, in percent (0..100); null when they are too close or out of order. */
export function stallPercent(prev: TotalReading, cur: TotalReading): number | null {
    const dt = cur.time - prev.time;
    if (!(dt >= 0.5))
        return null;
    const stalled = Math.max(0, cur.total - prev.total) / 1e6;
    return Math.min(100, (100 * stalled) / dt);
}

/** The kernel's next avg10 value after one 2 s period at the given stall share (truncated to a whole
 *  percent, as the kernel's calc_avgs does). */
export function nextAvg10(avg10: number, stall: number): number {
    return avg10 * EXP_10S + Math.floor(stall) * (1 - EXP_10S);
}

/**
 * Seconds until avg10 rises strictly above `limit` if the stall share stays at `stall`, given that the
 * kernel's next update is `nextUpdateIn` seconds away. 0 when already above; null when it never would.
 */
export function secondsToCross(avg10: number, stall: number, limit: number, nextUpdateIn: number): number | null {
    if (avg10 > limit)
        return 0;
    // The kernel truncates each period's stall share to a whole percent (calc_avgs: time * 100 / period),
    // so a stall of 80.9 % settles at 80.00 and never rises above an 80 % limit.
    stall = Math.floor(stall);
    if (stall <= limit)
        return null;
    // avg_n = stall - (stall - avg10) * f^n  >  limit   <=>   n > ln((stall - limit) / (stall - avg10)) / ln f
    const bound = Math.log((stall - limit) / (stall - avg10)) / Math.log(EXP_10S);
    const updates = Math.max(1, Math.floor(bound) + 1);
    return nextUpdateIn + (updates - 1) * PSI_PERIOD_SEC;
}
