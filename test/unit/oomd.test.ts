import assert from 'node:assert/strict';
import fc from 'fast-check';

import {
    FEDORA_POLICY, initialOomdState, oomdTick, POST_ACTION_DELAY_SEC, RECLAIM_DURATION_SEC,
    type OomdCgroupState, type OomdPolicy, type OomdTick, type OomdVerdict,
} from '../../src/core/oomd.js';

/** Feeds ticks through oomdTick and returns the verdict of every tick. */
function run(ticks: readonly OomdTick[], policy: OomdPolicy = FEDORA_POLICY,
    lastAction: (t: number) => number | null = () => null): OomdVerdict[] {
    let state: OomdCgroupState = initialOomdState();
    return ticks.map(tick => {
        const next = oomdTick(state, tick, policy, lastAction(tick.time));
        state = next.state;
        return next.verdict;
    });
}

/** Ticks every `step` seconds from `from` to `to` inclusive; pgscan rises by 1000 per tick unless given. */
function ticks(from: number, to: number, avg10: number | ((t: number) => number), step = 1,
    pgscan: (t: number, i: number) => number | null = (_t, i) => 1000 * (i + 1)): OomdTick[] {
    const out: OomdTick[] = [];
    for (let i = 0; from + i * step <= to + 1e-9; i++) {
        const time = from + i * step;
        out.push({ time, avg10: typeof avg10 === 'number' ? avg10 : avg10(time), pgscan: pgscan(time, i) });
    }
    return out;
}

const last = <T>(xs: readonly T[]): T => {
    const x = xs.at(-1);
    assert.ok(x !== undefined);
    return x;
};

describe('oomdTick (systemd-oomd v257 memory-pressure rule)', () => {
    it('uses the v257 constants and Fedora\'s 80 % / 20 s slice policy', () => {
        assert.equal(RECLAIM_DURATION_SEC, 30);
        assert.equal(POST_ACTION_DELAY_SEC, 15);
        assert.deepEqual(FEDORA_POLICY, { limitPercent: 80, durationSec: 20 });
    });

    it('compares strictly: avg10 exactly at the limit never starts the timer', () => {
        const verdicts = run(ticks(0, 40, 80));
        for (const v of verdicts) {
            assert.equal(v.over, false);
            assert.equal(v.overFor, 0);
            assert.equal(v.target, false);
            assert.equal(v.secondsLeft, null);
            assert.equal(v.wouldAct, false);
        }
    });

    it('starts the timer at 80.01 % and counts down from the duration', () => {
        const verdicts = run(ticks(0, 5, 80.01));
        assert.deepEqual(verdicts.map(v => v.over), [true, true, true, true, true, true]);
        assert.deepEqual(verdicts.map(v => v.overFor), [0, 1, 2, 3, 4, 5]);
        assert.deepEqual(verdicts.map(v => v.secondsLeft), [20, 19, 18, 17, 16, 15]);
    });

    it('makes the cgroup a target exactly when now − T0 ≥ duration', () => {
        const verdicts = run(ticks(100, 121, 85));
        const at = (t: number) => verdicts[t - 100] as OomdVerdict;
        assert.equal(at(119).target, false);
        assert.equal(at(119).wouldAct, false);
        assert.equal(at(119).secondsLeft, 1);
        assert.equal(at(120).target, true);
        assert.equal(at(120).overFor, 20);
        assert.equal(at(120).secondsLeft, 0);
        assert.equal(at(120).wouldAct, true);
        assert.equal(at(121).target, true);
        // Just short of the duration is not enough.
        const fractional = run([{ time: 0, avg10: 90, pgscan: 1 }, { time: 19.999, avg10: 90, pgscan: 2 }]);
        assert.equal(last(fractional).target, false);
    });

    it('resets the timer on a single tick at or below the limit (no hysteresis)', () => {
        // 16 s above, one dip to 71.8 %, then above again: the 20 s start over at the re-crossing.
        const avg10 = (t: number) => (t === 16 ? 71.8 : 90);
        const verdicts = run(ticks(0, 40, avg10));
        const dip = verdicts[16] as OomdVerdict;
        assert.equal(dip.over, false);
        assert.equal(dip.secondsLeft, null);
        assert.equal(dip.overFor, 0);
        assert.equal((verdicts[17] as OomdVerdict).secondsLeft, 20);
        const firstAct = verdicts.findIndex(v => v.wouldAct);
        assert.equal(firstAct, 37);
        // A dip to exactly the limit resets too.
        const exact = run(ticks(0, 25, t => (t === 10 ? 80 : 95)));
        assert.equal(last(exact).overFor, 14);
        assert.equal(exact.some(v => v.target), false);
    });

    it('never acts on episodes shorter than the duration', () => {
        // 16 s above, 4 s below, repeatedly.
        const verdicts = run(ticks(0, 200, t => (t % 20 < 16 ? 95 : 40)));
        assert.equal(verdicts.some(v => v.target || v.wouldAct), false);
        assert.ok(Math.max(...verdicts.map(v => v.overFor)) <= 15);
    });

    describe('reclaim requirement', () => {
        it('leaves reclaim unknown on the first tick, and counts unknown reclaim as reclaim', () => {
            const [first] = run([{ time: 0, avg10: 90, pgscan: 5000 }], { limitPercent: 80, durationSec: 0 });
            assert.ok(first);
            assert.equal(first.reclaimActive, null);
            assert.equal(first.target, true);
            assert.equal(first.wouldAct, true);
        });

        it('sees reclaim when pgscan rose since the previous tick', () => {
            const verdicts = run([{ time: 0, avg10: 10, pgscan: 100 }, { time: 1, avg10: 10, pgscan: 101 }]);
            assert.equal(last(verdicts).reclaimActive, true);
        });

        it('keeps reclaim active for 30 s after the last rise, inclusive, then drops it', () => {
            // pgscan rises once at t = 1, then stays flat; avg10 above the limit all along.
            const pgscan = (t: number) => (t < 1 ? 100 : 200);
            const verdicts = run(ticks(0, 40, 95, 0.25, pgscan));
            const at = (t: number) => verdicts[Math.round(t * 4)] as OomdVerdict;
            assert.equal(at(1).reclaimActive, true);
            assert.equal(at(20).wouldAct, true);
            assert.equal(at(31).reclaimActive, true);
            assert.equal(at(31).wouldAct, true);
            assert.equal(at(31.25).reclaimActive, false);
            assert.equal(at(31.25).target, true);
            assert.equal(at(31.25).wouldAct, false);
        });

        it('does not act on a target whose pgscan stayed flat for more than 30 s', () => {
            const verdicts = run(ticks(0, 60, 95, 1, () => 777));
            const v = last(verdicts);
            assert.equal(v.target, true);
            assert.equal(v.reclaimActive, false);
            assert.equal(v.wouldAct, false);
            assert.equal(verdicts.slice(31).some(x => x.wouldAct), false);
        });

        it('counts a pgscan counter that went backwards from zero (re-created cgroup)', () => {
            const verdicts = run([
                { time: 0, avg10: 10, pgscan: 1_000_000 },
                { time: 1, avg10: 10, pgscan: 1_000_000 },
                { time: 40, avg10: 10, pgscan: 1_000_000 },
                { time: 41, avg10: 10, pgscan: 50 },
            ]);
            assert.equal((verdicts[2] as OomdVerdict).reclaimActive, false);
            assert.equal(last(verdicts).reclaimActive, true);
            // Backwards to zero is no reclaim.
            const toZero = run([
                { time: 0, avg10: 10, pgscan: 10 }, { time: 1, avg10: 10, pgscan: 10 },
                { time: 40, avg10: 10, pgscan: 10 }, { time: 41, avg10: 10, pgscan: 0 },
            ]);
            assert.equal(last(toZero).reclaimActive, false);
        });

        it('without pgscan (no memory.stat) reclaim stays unknown and a target is acted on', () => {
            const verdicts = run(ticks(0, 25, 90, 1, () => null));
            for (const v of verdicts)
                assert.equal(v.reclaimActive, null);
            assert.equal((verdicts[19] as OomdVerdict).wouldAct, false);
            assert.equal((verdicts[20] as OomdVerdict).wouldAct, true);
        });

        it('keeps a recent rise active through ticks without pgscan', () => {
            const pgscan = (t: number) => (t === 0 ? 1 : t === 1 ? 2 : null);
            const verdicts = run(ticks(0, 40, 90, 1, pgscan));
            assert.equal((verdicts[31] as OomdVerdict).reclaimActive, true);
            assert.equal((verdicts[32] as OomdVerdict).reclaimActive, null);
        });
    });

    describe('post-action delay', () => {
        it('does not act within 15 s of the last action, and secondsLeft includes the remaining delay', () => {
            const policy = FEDORA_POLICY;
            const verdicts = run(ticks(0, 40, 90), policy, t => (t >= 10 ? 10 : null));
            const at = (t: number) => verdicts[t] as OomdVerdict;
            assert.equal(at(10).inPostActionDelay, true);
            assert.equal(at(10).secondsLeft, 15);           // delay (15) > remaining duration (10)
            assert.equal(at(20).target, true);
            assert.equal(at(20).inPostActionDelay, true);
            assert.equal(at(20).wouldAct, false);
            assert.equal(at(20).secondsLeft, 5);
            assert.equal(at(24).secondsLeft, 1);
            assert.equal(at(25).inPostActionDelay, false);  // 10 + 15: the delay has ended
            assert.equal(at(25).wouldAct, true);
            assert.equal(at(25).secondsLeft, 0);
        });

        it('reports the delay even when the cgroup is not over the limit, without a countdown', () => {
            const [v] = run([{ time: 3, avg10: 20, pgscan: 1 }], FEDORA_POLICY, () => 0);
            assert.ok(v);
            assert.equal(v.inPostActionDelay, true);
            assert.equal(v.secondsLeft, null);
        });

        it('a kill does not reset the timer: the next action is possible right after the delay', () => {
            // Above from t = 0; oomd kills at t = 20 and avg10 stays above.
            const verdicts = run(ticks(0, 40, 88), FEDORA_POLICY, t => (t > 20 ? 20 : null));
            const acts = verdicts.flatMap((v, t) => (v.wouldAct ? [t] : []));
            assert.deepEqual(acts.slice(0, 2), [20, 35]);
            const after = verdicts[21] as OomdVerdict;
            assert.equal(after.overFor, 21);
            assert.equal(after.target, true);
            assert.equal(after.secondsLeft, 14);
        });
    });

    describe('the seed incident (Fedora 80 % / 20 s, checks every ~1.25 s)', () => {
        for (const peak of [92.16, 90.63, 86.09]) {
            it(`acts 20 s after the first check above the limit when the slice sits at ${peak} %`, () => {
                // Calm, rising through the limit, then holding at the logged value; pgscan rising.
                const avg10 = (t: number) => (t < 10 ? 30 + 4 * t : Math.min(peak, 80.5 + (t - 10)));
                const verdicts = run(ticks(0, 60, avg10, 1.25));
                const times = verdicts.map((_v, i) => i * 1.25);
                const firstOver = verdicts.findIndex(v => v.over);
                const firstAct = verdicts.findIndex(v => v.wouldAct);
                assert.ok(firstOver > 0 && firstAct > firstOver);
                const lag = (times[firstAct] as number) - (times[firstOver] as number);
                assert.equal(lag, 20);
                assert.ok(lag >= 20 && lag <= 22);
                assert.equal(avg10(times[firstAct] as number), peak);
                // The countdown shown along the way never promises more time than is left.
                for (let i = firstOver; i <= firstAct; i++) {
                    const v = verdicts[i] as OomdVerdict;
                    assert.equal(v.secondsLeft, Math.max(0, 20 - ((times[i] as number) - (times[firstOver] as number))));
                }
                // The follow-up kill ~15 s later if oomd's kill did not relieve the slice.
                const kill = times[firstAct] as number;
                const again = run(ticks(0, 60, avg10, 1.25), FEDORA_POLICY, t => (t > kill ? kill : null));
                const secondAct = again.findIndex((v, i) => v.wouldAct && i > firstAct);
                assert.ok(secondAct > 0);
                const gap = (times[secondAct] as number) - kill;
                assert.ok(gap >= 15 && gap < 16.25, `second action ${gap} s after the first`);
            });
        }

        it('for any check cadence of 1–1.5 s the first action lands 20–21.5 s after the first check above', () => {
            fc.assert(fc.property(
                fc.array(fc.integer({ min: 1000, max: 1500 }), { minLength: 40, maxLength: 40 }),
                fc.double({ min: 80.01, max: 100, noNaN: true }),
                fc.integer({ min: 1, max: 10 }),
                (gapsMs, level, calmTicks) => {
                    let time = 0;
                    const ts: OomdTick[] = gapsMs.map((gap, i) => {
                        time += gap / 1000;
                        return { time, avg10: i < calmTicks ? 50 : level, pgscan: i };
                    });
                    const verdicts = run(ts);
                    const firstAct = verdicts.findIndex(v => v.wouldAct);
                    assert.ok(firstAct > calmTicks);
                    const lag = (ts[firstAct] as OomdTick).time - (ts[calmTicks] as OomdTick).time;
                    assert.ok(lag >= 20 && lag < 21.5, `lag ${lag}`);
                    assert.equal((verdicts[firstAct - 1] as OomdVerdict).target, false);
                }));
        });
    });
});
