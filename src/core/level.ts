// The indicator's level, with hysteresis so it does not flicker around the warning point.
//
//   red      while any monitored cgroup is above its oomd limit;
//   amber    when avg10 reaches a warning fraction of the limit, or a kill is projected within the
//            lead window; it is left only after every cgroup has stayed a margin below the warning
//            point (and no kill is projected within the window) for a hold time;
//   ok       otherwise;
//   unknown  when nothing could be read.

export type Level = 'ok' | 'amber' | 'red' | 'unknown';

export interface LevelSettings {
    /** Amber from this fraction of the limit (0.5 = at 40 % when the limit is 80 %). */
    warnFraction: number;
    /** Amber when the projected kill is at most this many seconds away. */
    leadWindowSec: number;
    /** Leaving amber needs avg10 below (warnFraction - exitMarginFraction) * limit ... */
    exitMarginFraction: number;
    /** ... for this many seconds. */
    exitHoldSec: number;
}

export const DEFAULT_LEVEL_SETTINGS: LevelSettings = {
    warnFraction: 0.5,
    leadWindowSec: 45,
    exitMarginFraction: 0.1,
    exitHoldSec: 10,
};

export interface LevelInput {
    avg10: number;
    limitPercent: number;
    over: boolean;
    /** Seconds until the projected kill, or null when none is projected. */
    projectedKillIn: number | null;
}

export interface LevelState {
    level: Level;
    /** Since when everything has been calm while amber. */
    calmSince: number | null;
    /** While unknown: the level before, so a passing read failure does not skip amber's hold time. */
    held: Level | null;
}

export const INITIAL_LEVEL_STATE: LevelState = { level: 'unknown', calmSince: null, held: null };

export function nextLevel(state: LevelState, time: number, inputs: readonly LevelInput[], settings: LevelSettings): LevelState {
    if (inputs.length === 0)
        return { level: 'unknown', calmSince: state.calmSince, held: state.level === 'unknown' ? state.held : state.level };
    if (inputs.some(i => i.over))
        return { level: 'red', calmSince: null, held: null };
    const previous = state.level === 'unknown' ? state.held : state.level;

    const imminent = (i: LevelInput) => i.projectedKillIn !== null && i.projectedKillIn <= settings.leadWindowSec;
    const warning = inputs.some(i => imminent(i) || i.avg10 >= settings.warnFraction * i.limitPercent);

    if (previous === 'amber' || previous === 'red') {
        const exitFraction = settings.warnFraction - settings.exitMarginFraction;
        const calm = inputs.every(i => !imminent(i) && i.avg10 < exitFraction * i.limitPercent);
        if (!calm)
            return { level: 'amber', calmSince: null, held: null };
        const calmSince = state.calmSince ?? time;
        return time - calmSince >= settings.exitHoldSec
            ? { level: 'ok', calmSince: null, held: null }
            : { level: 'amber', calmSince, held: null };
    }
    return { level: warning ? 'amber' : 'ok', calmSince: null, held: null };
}
