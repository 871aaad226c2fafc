// systemd-oomd's memory-pressure rule for one monitored cgroup, as v257 implements it
// (src/oom/oomd-manager.c monitor_memory_pressure_contexts_handler, oomd-util.c oomd_pressure_above):
//
//  * every tick (about 1 s) oomd reads the cgroup's `full avg10`;
//  * the first tick with avg10 strictly above the limit starts a timer; any tick at or below resets it;
//  * once the timer has run for the duration, the cgroup is a target;
//  * a target is acted on only if its pgscan rose at some tick within the last 30 s;
//  * and not within 15 s of oomd's previous action (a manager-wide delay).
//
// A kill does not reset the timer: another kill can follow when the delay ends.

export const RECLAIM_DURATION_SEC = 30;
export const POST_ACTION_DELAY_SEC = 15;

/** Fedora's per-slice policy (systemd-oomd-defaults): 80 % full avg10 for 20 s. */
export const FEDORA_POLICY: OomdPolicy = { limitPercent: 80, durationSec: 20 };

export interface OomdPolicy {
    /** Limit on `full avg10`, in percent. */
    limitPercent: number;
    /** How long avg10 must stay above the limit, in seconds. */
    durationSec: number;
}

export interface OomdTick {
    /** Monotonic time of the reading, seconds. */
    time: number;
    /** `full avg10` of the cgroup's memory.pressure, percent. */
    avg10: number;
    /** Cumulative `pgscan` of the cgroup's memory.stat; null where the file has none. */
    pgscan: number | null;
}

export interface OomdCgroupState {
    /** When avg10 first went above the limit in the current run; null while at or below. */
    hitStart: number | null;
    lastPgscan: number | null;
    /** The last tick at which pgscan rose. */
    lastReclaim: number | null;
    /** Whether a previous tick was seen, so a pgscan delta means something. */
    seen: boolean;
    /** Since when pgscan has been watched: "no reclaim in 30 s" can only be said 30 s after this. */
    watchedSince: number | null;
}

export interface OomdVerdict {
    /** avg10 strictly above the limit. */
    over: boolean;
    /** Seconds the cgroup has been above the limit (0 when not over). */
    overFor: number;
    /** Over the limit for at least the duration: oomd counts it as a target. */
    target: boolean;
    /** pgscan rose within the last 30 s; null while that is not known yet (first tick, no pgscan). */
    reclaimActive: boolean | null;
    /** oomd's post-action delay is running. */
    inPostActionDelay: boolean;
    /** Seconds until oomd may act on this cgroup if avg10 stays above the limit; null when not over. */
    secondsLeft: number | null;
    /** oomd would act at this tick. Unknown reclaim counts as reclaim: better a warning than a surprise. */
    wouldAct: boolean;
}

export function initialOomdState(): OomdCgroupState {
    return { hitStart: null, lastPgscan: null, lastReclaim: null, seen: false, watchedSince: null };
}

/**
 * Advances one cgroup's oomd state by one reading. `lastActionTime` is the time of oomd's last action
 * (a kill it reported, or one the caller assumes), or null.
 */
export function oomdTick(
    state: OomdCgroupState,
    tick: OomdTick,
    policy: OomdPolicy,
    lastActionTime: number | null,
): { state: OomdCgroupState; verdict: OomdVerdict } {
    const over = tick.avg10 > policy.limitPercent;
    const hitStart = over ? state.hitStart ?? tick.time : null;

    let lastReclaim = state.lastReclaim;
    if (tick.pgscan !== null && state.seen && state.lastPgscan !== null) {
        // oomd treats a counter that went backwards (cgroup re-created) as counting from 0.
        const delta = tick.pgscan >= state.lastPgscan ? tick.pgscan - state.lastPgscan : tick.pgscan;
        if (delta > 0)
            lastReclaim = tick.time;
    }
    // oomd has watched pgscan far longer than Headroom: a flat counter only proves "no reclaim in the
    // last 30 s" once Headroom itself has watched it for 30 s.
    const watchedSince = tick.pgscan === null ? null : state.watchedSince ?? tick.time;
    const reclaimActive = lastReclaim !== null && tick.time - lastReclaim <= RECLAIM_DURATION_SEC
        ? true
        : watchedSince !== null && tick.time - watchedSince > RECLAIM_DURATION_SEC ? false : null;

    const overFor = hitStart === null ? 0 : tick.time - hitStart;
    const target = hitStart !== null && overFor >= policy.durationSec;
    const delayLeft = lastActionTime === null ? 0 : lastActionTime + POST_ACTION_DELAY_SEC - tick.time;
    const inPostActionDelay = delayLeft > 0;
    const secondsLeft = hitStart === null
        ? null
        : Math.max(0, policy.durationSec - overFor, delayLeft);

    return {
        state: { hitStart, lastPgscan: tick.pgscan, lastReclaim, seen: true, watchedSince },
        verdict: {
            over,
            overFor,
            target,
            reclaimActive,
            inPostActionDelay,
            secondsLeft,
            wouldAct: target && reclaimActive !== false && !inPostActionDelay,
        },
    };
}
