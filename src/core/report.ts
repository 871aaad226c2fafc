// The machine-readable form of a snapshot, printed by `cli.js --json`; the menu shows the same values.

import { sliceName } from './format.js';
import type { Snapshot } from './engine.js';

export interface SliceReport {
    path: string;
    name: string;
    fullAvg10: number | null;
    stall: number | null;
    limitPercent: number;
    durationSec: number;
    over: boolean | null;
    secondsLeft: number | null;
    reclaimActive: boolean | null;
    projectedKillIn: number | null;
    error: string | null;
}

export interface SnapshotReport {
    level: Snapshot['level'];
    reason: string | null;
    worst: string | null;
    slices: SliceReport[];
}

const round = (v: number | null, digits = 2): number | null =>
    v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits;

export function snapshotReport(snapshot: Snapshot): SnapshotReport {
    return {
        level: snapshot.level,
        reason: snapshot.reason,
        worst: snapshot.worst?.path ?? null,
        slices: snapshot.slices.map(s => ({
            path: s.path,
            name: sliceName(s.path),
            fullAvg10: s.avg10,
            stall: round(s.stall),
            limitPercent: s.policy.limitPercent,
            durationSec: s.policy.durationSec,
            over: s.verdict?.over ?? null,
            secondsLeft: round(s.verdict?.secondsLeft ?? null),
            reclaimActive: s.verdict?.reclaimActive ?? null,
            projectedKillIn: round(s.projectedKillIn),
            error: s.error?.message ?? null,
        })),
    };
}
