// The pressure engine: one sample of every monitored cgroup in, one snapshot of the state out.
// Pure and synchronous; the extension, the command-line tool and the replay all drive it the same way.

import { initialOomdState, oomdTick, POST_ACTION_DELAY_SEC, type OomdCgroupState, type OomdPolicy, type OomdVerdict } from './oomd.js';
import { INITIAL_LEVEL_STATE, nextLevel, type Level, type LevelSettings, type LevelState } from './level.js';
import { PSI_PERIOD_SEC, secondsToCross, stallPercent, type TotalReading } from './projection.js';
import type { Psi } from './psi.js';
import type { Failure, Result } from './result.js';

export interface MonitoredCgroup {
    /** Path below the cgroup root, starting with '/', e.g. /user.slice/user-1000.slice/user@1000.service/app.slice */
    path: string;
    policy: OomdPolicy;
}

export interface CgroupReading extends MonitoredCgroup {
    psi: Result<Psi>;
    /** Cumulative pgscan from memory.stat; null when the cgroup has no memory.stat (or it is unreadable). */
    pgscan: number | null;
    /** memory.events `oom_kill`: processes the kernel's OOM killer ended in this cgroup (and below). */
    oomKills?: number | null;
}

export interface Sample {
    /** Monotonic time, seconds. */
    time: number;
    readings: readonly CgroupReading[];
}

export interface SliceStatus {
    path: string;
    policy: OomdPolicy;
    /** null when the pressure could not be read; see `error`. */
    avg10: number | null;
    /** Stall share measured from `full total` since a recent reading, percent; null until known. */
    stall: number | null;
    verdict: OomdVerdict | null;
    /** Seconds until the kill the current stall rate leads to; null when none is projected. */
    projectedKillIn: number | null;
    error: Failure | null;
}

export interface Snapshot {
    time: number;
    level: Level;
    /** Why the level is `unknown`; null otherwise. */
    reason: string | null;
    slices: SliceStatus[];
    /** The most urgent readable slice. */
    worst: SliceStatus | null;
}

interface Track {
    oomd: OomdCgroupState;
    /** Recent `full total` readings, oldest first, at most a few seconds. */
    totals: TotalReading[];
    lastAvg10: number | null;
    /** When avg10 last changed: the kernel's 2 s update phase. */
    avg10ChangedAt: number | null;
}

const TOTALS_KEPT_SEC = 3;

export class PressureEngine {
    private _tracks = new Map<string, Track>();
    private _level: LevelState = INITIAL_LEVEL_STATE;
    private _lastAction: number | null = null;

    constructor(private _settings: LevelSettings) {}

    set settings(settings: LevelSettings) {
        this._settings = settings;
    }

    /** Records an action of systemd-oomd (a kill it reported), which starts its 15 s post-action delay. */
    noteAction(time: number): void {
        this._lastAction = time;
    }

    update(sample: Sample, unreadableReason: string | null = null): Snapshot {
        const slices = sample.readings.map(r => this._updateOne(sample.time, r));
        const seen = new Set(sample.readings.map(r => r.path));
        for (const path of this._tracks.keys()) {
            if (!seen.has(path))
                this._tracks.delete(path);
        }

        const readable = slices.filter(s => s.avg10 !== null && s.verdict !== null);
        this._level = nextLevel(this._level, sample.time, readable.map(s => ({
            avg10: s.avg10 ?? 0,
            limitPercent: s.policy.limitPercent,
            over: s.verdict?.over ?? false,
            projectedKillIn: s.projectedKillIn,
        })), this._settings);

        let reason: string | null = null;
        if (this._level.level === 'unknown')
            reason = unreadableReason ?? slices.find(s => s.error)?.error?.message ?? 'no monitored cgroup';

        return {
            time: sample.time,
            level: this._level.level,
            reason,
            slices,
            worst: mostUrgent(readable),
        };
    }

    private _updateOne(time: number, reading: CgroupReading): SliceStatus {
        if (!reading.psi.ok) {
            // A cgroup that is gone starts afresh if it comes back (as oomd re-registers it); a passing
            // read error keeps the timer, as oomd's own reads are not affected by it.
            if (reading.psi.error.code === 'missing')
                this._tracks.delete(reading.path);
            return {
                path: reading.path, policy: reading.policy, avg10: null, stall: null, verdict: null,
                projectedKillIn: null, error: reading.psi.error,
            };
        }
        const full = reading.psi.value.full;
        let track = this._tracks.get(reading.path);
        if (!track) {
            track = { oomd: initialOomdState(), totals: [], lastAvg10: null, avg10ChangedAt: null };
            this._tracks.set(reading.path, track);
        }

        const { state, verdict } = oomdTick(track.oomd, { time, avg10: full.avg10, pgscan: reading.pgscan },
            reading.policy, this._lastAction);
        track.oomd = state;

        if (track.lastAvg10 !== null && track.lastAvg10 !== full.avg10)
            track.avg10ChangedAt = time;
        track.lastAvg10 = full.avg10;

        // A reading about one kernel period back gives a steadier stall share than the last second alone.
        // (Runs every second per slice: a loop and an in-place trim, not copies of the list.)
        const now = { time, total: full.total };
        const { totals } = track;
        let base = totals.at(-1);
        for (let i = totals.length - 1; i >= 0; i--) {
            if (time - (totals[i] as TotalReading).time >= PSI_PERIOD_SEC - 0.5) {
                base = totals[i];
                break;
            }
        }
        const stall = base ? stallPercent(base, now) : null;
        totals.push(now);
        while (totals.length > 0 && time - (totals[0] as TotalReading).time > TOTALS_KEPT_SEC)
            totals.shift();

        let projectedKillIn: number | null = null;
        if (verdict.over) {
            projectedKillIn = verdict.secondsLeft;
        } else if (stall !== null) {
            const nextUpdateIn = track.avg10ChangedAt === null
                ? PSI_PERIOD_SEC / 2
                : PSI_PERIOD_SEC - ((time - track.avg10ChangedAt) % PSI_PERIOD_SEC);
            const crossing = secondsToCross(full.avg10, stall, reading.policy.limitPercent, nextUpdateIn);
            if (crossing !== null) {
                const delayLeft = this._lastAction === null ? 0 : this._lastAction + POST_ACTION_DELAY_SEC - time;
                projectedKillIn = Math.max(crossing + reading.policy.durationSec, delayLeft);
            }
        }

        return {
            path: reading.path, policy: reading.policy, avg10: full.avg10, stall, verdict, projectedKillIn,
            error: null,
        };
    }
}

/** Orders slices by urgency: over the limit first (soonest action first), then soonest projected kill,
 *  then the highest pressure relative to the limit. */
export function mostUrgent(slices: readonly SliceStatus[]): SliceStatus | null {
    let best: SliceStatus | null = null;
    for (const s of slices) {
        if (best === null || compareUrgency(s, best) < 0)
            best = s;
    }
    return best;
}

function compareUrgency(a: SliceStatus, b: SliceStatus): number {
    const overA = a.verdict?.over ? 1 : 0;
    const overB = b.verdict?.over ? 1 : 0;
    if (overA !== overB)
        return overB - overA;
    const killA = a.projectedKillIn ?? Infinity;
    const killB = b.projectedKillIn ?? Infinity;
    if (killA !== killB)
        return killA - killB;
    return (b.avg10 ?? 0) / b.policy.limitPercent - (a.avg10 ?? 0) / a.policy.limitPercent;
}
