import assert from 'node:assert/strict';

import { mostUrgent, PressureEngine, type CgroupReading, type SliceStatus, type Snapshot } from '../../src/core/engine.js';
import { DEFAULT_LEVEL_SETTINGS, type Level } from '../../src/core/level.js';
import { FEDORA_POLICY, type OomdPolicy, type OomdVerdict } from '../../src/core/oomd.js';
import { parsePsi } from '../../src/core/psi.js';
import { fail } from '../../src/core/result.js';

const APP = '/user.slice/user-1000.slice/user@1000.service/app.slice';
const SESSION = '/user.slice/user-1000.slice/user@1000.service/session.slice';
const SYSTEM = '/system.slice';

/**
 * A cgroup's memory PSI as the kernel produces it: `full total` accumulates stall microseconds
 * continuously; avg10 is recomputed only every 2 s (psi.c: EXP_10s = 1677/2048) from the stall share of
 * the period, and printed truncated to two decimals. pgscan rises while the cgroup stalls.
 */
class SimCgroup {
    private _avg = 0;
    private _total = 0;
    private _periodStartTotal = 0;
    private _now: number;
    private _nextUpdate: number;
    pgscan = 0;

    /** `phase`: seconds from `start` to the kernel's first averaging update. */
    constructor(start = 0, phase = 0.5) {
        this._now = start;
        this._nextUpdate = start + phase;
    }

    /** Runs the clock to `to` with a constant stall share `p` (0..1). */
    advance(to: number, p: number): void {
        while (this._nextUpdate <= to) {
            this._stall(this._nextUpdate, p);
            const sample = Math.min(100, (100 * (this._total - this._periodStartTotal)) / 2e6);
            this._avg = this._avg * (1677 / 2048) + sample * (371 / 2048);
            this._periodStartTotal = this._total;
            this._nextUpdate += 2;
        }
        this._stall(to, p);
    }

    get avg10(): number {
        return Math.floor(this._avg * 100) / 100;
    }

    text(): string {
        const centi = Math.floor(this._avg * 100);
        const avg = `${Math.floor(centi / 100)}.${String(centi % 100).padStart(2, '0')}`;
        const total = Math.round(this._total);
        return `some avg10=${avg} avg60=0.00 avg300=0.00 total=${total}\n` +
            `full avg10=${avg} avg60=0.00 avg300=0.00 total=${total}\n`;
    }

    reading(path: string, policy: OomdPolicy = FEDORA_POLICY): CgroupReading {
        return { path, policy, psi: parsePsi(this.text()), pgscan: this.pgscan };
    }

    private _stall(to: number, p: number): void {
        this._total += (to - this._now) * p * 1e6;
        if (p > 0)
            this.pgscan += Math.round((to - this._now) * 10_000);
        this._now = to;
    }
}

/** A reading with fixed values, for cases where the kernel's dynamics do not matter. */
function fixed(path: string, avg10: number, total = 0, pgscan: number | null = 0, policy: OomdPolicy = FEDORA_POLICY): CgroupReading {
    const a = avg10.toFixed(2);
    return {
        path, policy, pgscan,
        psi: parsePsi(`some avg10=${a} avg60=0.00 avg300=0.00 total=${total}\nfull avg10=${a} avg60=0.00 avg300=0.00 total=${total}\n`),
    };
}

function slice(snapshot: Snapshot, path: string): SliceStatus {
    const s = snapshot.slices.find(x => x.path === path);
    assert.ok(s, `no slice ${path}`);
    return s;
}

function verdict(s: SliceStatus): OomdVerdict {
    assert.ok(s.verdict);
    return s.verdict;
}

/** Runs one slice 1 s apart from t = 0 to `end`, stalling fully from `stallFrom` until `stallUntil`. */
function runStall(stallFrom: number, end: number, phase = 0.5, stallUntil = Infinity): Snapshot[] {
    const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
    const sim = new SimCgroup(0, phase);
    const out: Snapshot[] = [];
    for (let t = 0; t <= end; t++) {
        sim.advance(t, t - 1 >= stallFrom && t - 1 < stallUntil ? 1 : 0);
        out.push(engine.update({ time: t, readings: [sim.reading(APP)] }));
    }
    return out;
}

describe('PressureEngine', () => {
    describe('a sustained 100 % full stall from calm (simulated kernel)', () => {
        const STALL_FROM = 10;
        let snaps: Snapshot[] = [];
        let levels: Level[] = [];
        let firstRed = -1;
        let firstProjection = -1;
        let firstAct = -1;
        const app = (t: number) => slice(snaps[t] as Snapshot, APP);

        before(() => {
            snaps = runStall(STALL_FROM, 70);
            levels = snaps.map(s => s.level);
            firstRed = levels.indexOf('red');
            firstProjection = snaps.findIndex(s => slice(s, APP).projectedKillIn !== null);
            firstAct = snaps.findIndex(s => slice(s, APP).verdict?.wouldAct === true);
        });

        it('is ok while calm', () => {
            for (let t = 0; t <= STALL_FROM; t++) {
                assert.equal(levels[t], 'ok', `t=${t}`);
                assert.equal(app(t).projectedKillIn, null);
            }
        });

        it('projects a kill roughly 38 s ahead within 2 s of the onset, and the projection comes true', () => {
            assert.ok(firstProjection > STALL_FROM && firstProjection <= STALL_FROM + 2, `first projection at ${firstProjection}`);
            const projected = app(firstProjection).projectedKillIn as number;
            assert.ok(projected >= 34 && projected <= 40, `projected ${projected}`);
            assert.ok(firstAct > 0);
            assert.ok(Math.abs(firstProjection + projected - firstAct) <= 2,
                `projected kill at ${firstProjection + projected}, oomd would act at ${firstAct}`);
        });

        it('goes amber on the projection, long before avg10 reaches the warning point', () => {
            assert.equal(levels[firstProjection], 'amber');
            assert.ok(app(firstProjection).avg10 as number < 40);
            assert.ok(app(firstProjection).stall as number > 99);
        });

        it('shrinks the projection about one second per second', () => {
            for (let t = firstProjection + 1; t < firstRed; t++) {
                const prev = app(t - 1).projectedKillIn as number;
                const cur = app(t).projectedKillIn as number;
                assert.ok(cur < prev, `t=${t}: ${prev} → ${cur}`);
                assert.ok(prev - cur <= 2.5, `t=${t}: ${prev} → ${cur}`);
            }
        });

        it('turns red at the first sample with avg10 above 80, after amber and without passing through ok', () => {
            assert.ok(firstRed > firstProjection);
            assert.ok(app(firstRed).avg10 as number > 80);
            assert.ok(app(firstRed - 1).avg10 as number <= 80);
            assert.deepEqual([...new Set(levels.slice(0, firstRed + 1))], ['ok', 'amber', 'red']);
            assert.deepEqual(levels.slice(firstRed), Array<Level>(levels.length - firstRed).fill('red'));
        });

        it('counts secondsLeft down from 20 and would act at 0 (reclaim is active)', () => {
            for (let k = 0; k <= 20; k++) {
                const v = verdict(app(firstRed + k));
                assert.equal(v.secondsLeft, 20 - k);
                assert.equal(app(firstRed + k).projectedKillIn, 20 - k);
                assert.equal(v.wouldAct, k === 20);
            }
            assert.equal(firstAct, firstRed + 20);
            assert.equal(verdict(app(firstAct)).reclaimActive, true);
        });

        it('measures the stall share from full total', () => {
            assert.equal(app(STALL_FROM).stall, 0);
            assert.equal(app(STALL_FROM + 5).stall, 100);
        });

        it('lands the projected kill within 2 s of oomd whatever the kernel\'s update phase', () => {
            for (const phase of [0.05, 0.5, 1, 1.5, 1.95]) {
                const run = runStall(STALL_FROM, 70, phase);
                const first = run.findIndex(s => slice(s, APP).projectedKillIn !== null);
                const act = run.findIndex(s => slice(s, APP).verdict?.wouldAct === true);
                const projected = slice(run[first] as Snapshot, APP).projectedKillIn as number;
                assert.ok(first <= STALL_FROM + 2, `phase ${phase}: first projection at ${first}`);
                assert.ok(projected >= 34 && projected <= 40, `phase ${phase}: projected ${projected}`);
                assert.ok(Math.abs(first + projected - act) <= 2, `phase ${phase}: ${first}+${projected} vs ${act}`);
            }
        });
    });

    it('measures the stall share over about one kernel period (2 s), not just the last second', () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        // Stalled during the first second, not during the second.
        engine.update({ time: 0, readings: [fixed(APP, 10, 0)] });
        assert.equal(slice(engine.update({ time: 1, readings: [fixed(APP, 10, 1_000_000)] }), APP).stall, 100);
        assert.equal(slice(engine.update({ time: 2, readings: [fixed(APP, 10, 1_000_000)] }), APP).stall, 50);
        // Readings closer than 0.5 s give no stall share.
        const close = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        close.update({ time: 0, readings: [fixed(APP, 10, 0)] });
        assert.equal(slice(close.update({ time: 0.3, readings: [fixed(APP, 10, 300_000)] }), APP).stall, null);
    });

    it('takes the kernel\'s update phase from avg10 changes, assuming half a period until it has seen one', () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        engine.update({ time: 0, readings: [fixed(APP, 50, 0)] });
        // Phase unknown: next update assumed 1 s away; 5 updates from 50 % at 100 % stall → 1 + 8 s, + 20 s.
        assert.equal(slice(engine.update({ time: 1, readings: [fixed(APP, 50, 1_000_000)] }), APP).projectedKillIn, 29);
        // avg10 changed at t = 2: the next update is 2 s away (4 updates from 60 %: 2 + 6 s), then 1 s at t = 3.
        assert.equal(slice(engine.update({ time: 2, readings: [fixed(APP, 60, 2_000_000)] }), APP).projectedKillIn, 28);
        assert.equal(slice(engine.update({ time: 3, readings: [fixed(APP, 60, 3_000_000)] }), APP).projectedKillIn, 27);
    });

    it('steps back red → amber → ok after the stall ends, holding amber while calming down', () => {
        const snaps = runStall(10, 90, 0.5, 40);
        const levels = snaps.map(s => s.level);
        const lastRed = levels.lastIndexOf('red');
        const firstOk = levels.indexOf('ok', lastRed);
        assert.ok(lastRed > 30 && firstOk > lastRed);
        assert.ok(levels.slice(lastRed + 1, firstOk).every(l => l === 'amber'));
        // ok only after avg10 stayed below 32 % (40 % of the limit) for 10 s.
        const calmFrom = snaps.findIndex((s, t) => t > lastRed && (slice(s, APP).avg10 as number) < 32);
        assert.equal(firstOk, calmFrom + 10);
    });

    it('is unknown, with the read error as the reason, when no slice can be read', () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        const denied = fail('unreadable', 'Permission denied');
        const snap = engine.update({
            time: 0, readings: [
                { path: APP, policy: FEDORA_POLICY, psi: denied, pgscan: null },
                { path: SYSTEM, policy: FEDORA_POLICY, psi: parsePsi(''), pgscan: null },
            ],
        });
        assert.equal(snap.level, 'unknown');
        assert.equal(snap.reason, 'Permission denied');
        assert.equal(snap.worst, null);
        assert.deepEqual(slice(snap, APP).error, denied.error);
        assert.equal(slice(snap, APP).avg10, null);
        assert.equal(slice(snap, APP).verdict, null);
        assert.equal(slice(snap, SYSTEM).error?.code, 'empty');
        // A reason from the caller wins; with no slices at all the reason says so.
        assert.equal(engine.update({ time: 1, readings: [{ path: APP, policy: FEDORA_POLICY, psi: denied, pgscan: null }] },
            'PSI is disabled (psi=0)').reason, 'PSI is disabled (psi=0)');
        assert.equal(engine.update({ time: 2, readings: [] }).reason, 'no monitored cgroup');
    });

    it('takes the level from the readable slices when one is unreadable', () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        const unreadable: CgroupReading = { path: APP, policy: FEDORA_POLICY, psi: fail('unreadable', 'No such file or directory'), pgscan: null };
        const calm = engine.update({ time: 0, readings: [unreadable, fixed(SESSION, 5)] });
        assert.equal(calm.level, 'ok');
        assert.equal(calm.reason, null);
        assert.equal(calm.worst?.path, SESSION);
        const hot = engine.update({ time: 1, readings: [unreadable, fixed(SESSION, 90)] });
        assert.equal(hot.level, 'red');
        assert.equal(hot.worst?.path, SESSION);
        assert.equal(slice(hot, APP).error?.message, 'No such file or directory');
    });

    it('picks as worst the slice oomd would act on soonest', () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        let snap: Snapshot | undefined;
        for (let t = 0; t <= 8; t++) {
            snap = engine.update({
                time: t, readings: [
                    fixed(SYSTEM, 70, 0, t),                    // highest ratio below the limit, never over
                    fixed(APP, t >= 5 ? 85 : 50, 0, t),         // over since t = 5
                    fixed(SESSION, t >= 2 ? 82 : 50, 0, t),     // over since t = 2: acted on first
                ],
            });
        }
        assert.ok(snap);
        assert.equal(snap.level, 'red');
        assert.equal(snap.worst?.path, SESSION);
        assert.equal(verdict(snap.worst).secondsLeft, 14);
    });

    it('shows oomd\'s post-action delay after noteAction, and acts again when it ends', () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        const at = (t: number) => engine.update({ time: t, readings: [fixed(APP, 90, 0, t)] });
        for (let t = 0; t < 20; t++)
            at(t);
        assert.equal(verdict(slice(at(20), APP)).wouldAct, true);
        engine.noteAction(20);
        const during = slice(at(21), APP);
        assert.equal(verdict(during).inPostActionDelay, true);
        assert.equal(verdict(during).wouldAct, false);
        assert.equal(verdict(during).secondsLeft, 14);
        assert.equal(during.projectedKillIn, 14);
        for (let t = 22; t < 35; t++)
            assert.equal(verdict(slice(at(t), APP)).wouldAct, false);
        assert.equal(verdict(slice(at(35), APP)).wouldAct, true);
    });

    it('lets the post-action delay bound a projection that would otherwise come sooner', () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        const quick: OomdPolicy = { limitPercent: 80, durationSec: 2 };
        engine.update({ time: 0, readings: [fixed(APP, 79, 0, 0, quick)] });
        engine.noteAction(0.5);
        // 100 % stall right under the limit: the crossing is one kernel update away.
        const s = slice(engine.update({ time: 1, readings: [fixed(APP, 79, 1_000_000, 1, quick)] }), APP);
        assert.equal(s.stall, 100);
        assert.equal(s.projectedKillIn, 14.5);
    });

    it('forgets a slice that disappears: it starts over when it comes back', () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        for (let t = 0; t <= 10; t++)
            engine.update({ time: t, readings: [fixed(APP, 90, t * 1_000_000, t), fixed(SYSTEM, 1)] });
        const gone = engine.update({ time: 11, readings: [fixed(SYSTEM, 1)] });
        assert.deepEqual(gone.slices.map(s => s.path), [SYSTEM]);
        assert.equal(gone.level, 'amber'); // red → amber on the way down, never straight to ok
        const back = slice(engine.update({ time: 12, readings: [fixed(APP, 90, 12_000_000, 12), fixed(SYSTEM, 1)] }), APP);
        assert.equal(verdict(back).overFor, 0);
        assert.equal(verdict(back).secondsLeft, 20);
        assert.equal(verdict(back).reclaimActive, null);
        assert.equal(back.stall, null);
    });

    it('applies new level settings from the next sample', () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        assert.equal(engine.update({ time: 0, readings: [fixed(APP, 45)] }).level, 'amber');
        const later = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        later.settings = { ...DEFAULT_LEVEL_SETTINGS, warnFraction: 0.75 };
        assert.equal(later.update({ time: 0, readings: [fixed(APP, 45)] }).level, 'ok');
        assert.equal(later.update({ time: 1, readings: [fixed(APP, 60)] }).level, 'amber');
    });
});

describe('mostUrgent', () => {
    const status = (path: string, avg10: number | null, over: boolean, secondsLeft: number | null,
        projectedKillIn: number | null, limitPercent = 80): SliceStatus => ({
        path, policy: { limitPercent, durationSec: 20 }, avg10, stall: null, projectedKillIn, error: null,
        verdict: avg10 === null ? null : {
            over, overFor: 0, target: false, reclaimActive: true, inPostActionDelay: false, secondsLeft, wouldAct: false,
        },
    });

    it('is null for no slices', () => {
        assert.equal(mostUrgent([]), null);
    });

    it('ranks over-the-limit first, then the soonest (projected) action, then pressure relative to the limit', () => {
        const calmHigh = status('a', 79, false, null, null);
        const projected = status('b', 20, false, null, 40);
        const projectedSooner = status('c', 10, false, null, 30);
        const overLate = status('d', 81, true, 18, 18);
        const overSoon = status('e', 95, true, 3, 3);
        assert.equal(mostUrgent([calmHigh, projected, projectedSooner, overLate, overSoon])?.path, 'e');
        assert.equal(mostUrgent([calmHigh, projected, projectedSooner, overLate])?.path, 'd');
        assert.equal(mostUrgent([calmHigh, projected, projectedSooner])?.path, 'c');
        assert.equal(mostUrgent([calmHigh, projected])?.path, 'b');
        // Relative to each slice's own limit: 45 of 60 is closer than 50 of 80.
        assert.equal(mostUrgent([status('x', 50, false, null, null, 80), status('y', 45, false, null, null, 60)])?.path, 'y');
    });
});
