import assert from 'node:assert/strict';

import {
    DEFAULT_LEVEL_SETTINGS, INITIAL_LEVEL_STATE, nextLevel,
    type Level, type LevelInput, type LevelSettings, type LevelState,
} from '../../src/core/level.js';

// Defaults: amber from 50 % of the limit (40 % of 80 %), or a kill projected within 45 s; leaving amber
// needs everything below 40 % of the limit (32 %) for 10 s.
const S: LevelSettings = DEFAULT_LEVEL_SETTINGS;

const input = (avg10: number, extra: Partial<LevelInput> = {}): LevelInput =>
    ({ avg10, limitPercent: 80, over: avg10 > 80, projectedKillIn: null, ...extra });

/** Feeds [time, inputs] steps from a start state; returns the level after each step. */
function levels(steps: readonly [number, LevelInput[]][], start: LevelState = INITIAL_LEVEL_STATE,
    settings: LevelSettings = S): Level[] {
    let state = start;
    return steps.map(([time, inputs]) => {
        state = nextLevel(state, time, inputs, settings);
        return state.level;
    });
}

const one = (...ls: Level[]) => ls;

describe('nextLevel', () => {
    it('has the documented defaults', () => {
        assert.deepEqual(DEFAULT_LEVEL_SETTINGS, { warnFraction: 0.5, leadWindowSec: 45, exitMarginFraction: 0.1, exitHoldSec: 10 });
        assert.equal(INITIAL_LEVEL_STATE.level, 'unknown');
    });

    it('is unknown with no inputs, whatever it was before', () => {
        for (const level of ['ok', 'amber', 'red', 'unknown'] as const)
            assert.equal(nextLevel({ level, calmSince: 3, held: null }, 10, [], S).level, 'unknown');
    });

    it('keeps amber\'s hold time across a passing unknown', () => {
        const amber: LevelState = { level: 'amber', calmSince: 0, held: null };
        const unknown = nextLevel(amber, 1, [], S);
        assert.equal(unknown.level, 'unknown');
        assert.equal(nextLevel(unknown, 2, [input(0)], S).level, 'amber');
        assert.equal(nextLevel(unknown, 10, [input(0)], S).level, 'ok');
        // A long unknown after ok goes back to ok at once.
        assert.equal(nextLevel(nextLevel({ level: 'ok', calmSince: null, held: null }, 1, [], S), 2, [input(0)], S).level, 'ok');
    });

    it('goes from ok to amber exactly at warnFraction · limit', () => {
        assert.deepEqual(levels([[0, [input(39.99)]], [1, [input(40)]]]), one('ok', 'amber'));
        assert.equal(nextLevel(INITIAL_LEVEL_STATE, 0, [input(30, { limitPercent: 60 })], S).level, 'amber');
        assert.equal(nextLevel(INITIAL_LEVEL_STATE, 0, [input(29.99, { limitPercent: 60 })], S).level, 'ok');
        const warnAt70: LevelSettings = { ...S, warnFraction: 0.7 };
        assert.equal(nextLevel(INITIAL_LEVEL_STATE, 0, [input(56)], warnAt70).level, 'amber');
        assert.equal(nextLevel(INITIAL_LEVEL_STATE, 0, [input(55.99)], warnAt70).level, 'ok');
    });

    it('goes amber on a projected kill inside the lead window, even at low avg10', () => {
        assert.equal(nextLevel(INITIAL_LEVEL_STATE, 0, [input(5, { projectedKillIn: 45 })], S).level, 'amber');
        assert.equal(nextLevel(INITIAL_LEVEL_STATE, 0, [input(5, { projectedKillIn: 38 })], S).level, 'amber');
        assert.equal(nextLevel(INITIAL_LEVEL_STATE, 0, [input(5, { projectedKillIn: 45.01 })], S).level, 'ok');
        assert.equal(nextLevel(INITIAL_LEVEL_STATE, 0, [input(5, { projectedKillIn: null })], S).level, 'ok');
    });

    it('is red while any cgroup is over its limit, from any level', () => {
        for (const level of ['ok', 'amber', 'red', 'unknown'] as const) {
            const next = nextLevel({ level, calmSince: 1, held: null }, 5, [input(10), input(80.01)], S);
            assert.deepEqual(next, { level: 'red', calmSince: null, held: null });
        }
        // `over` is what counts, not avg10 compared by the level code itself.
        assert.equal(nextLevel(INITIAL_LEVEL_STATE, 0, [input(95, { over: false })], S).level, 'amber');
    });

    it('steps down from red to amber, never straight to ok', () => {
        const red: LevelState = { level: 'red', calmSince: null, held: null };
        assert.equal(nextLevel(red, 0, [input(0)], S).level, 'amber');
        assert.equal(nextLevel(red, 0, [input(60)], S).level, 'amber');
        assert.deepEqual(levels([[0, [input(0)]], [5, [input(0)]], [10, [input(0)]]], red), one('amber', 'amber', 'ok'));
    });

    it('leaves amber only after everything stayed below (warn − margin) · limit for the hold time', () => {
        const steps: [number, LevelInput[]][] = [[0, [input(50)]]];
        for (let t = 1; t <= 12; t++)
            steps.push([t, [input(31.99)]]);
        // Calm from t = 1: still amber at 10.x, ok at 11.
        assert.deepEqual(levels(steps), one('amber', ...Array<Level>(10).fill('amber'), 'ok', 'ok'));
        // Between the exit point (32 %) and the warning point (40 %) amber holds indefinitely.
        const middle = levels([[0, [input(50)]], [1, [input(32)]], [30, [input(35)]], [60, [input(39.9)]]]);
        assert.deepEqual(middle, one('amber', 'amber', 'amber', 'amber'));
        // ... while from ok the same values do not raise amber (hysteresis).
        assert.deepEqual(levels([[0, [input(10)]], [1, [input(35)]], [2, [input(39.9)]]]), one('ok', 'ok', 'ok'));
    });

    it('restarts the hold when pressure blips back up', () => {
        const steps: [number, LevelInput[]][] = [[0, [input(45)]]];
        for (let t = 1; t <= 5; t++)
            steps.push([t, [input(20)]]);
        steps.push([6, [input(33)]]); // not calm: above 32 %
        for (let t = 7; t <= 17; t++)
            steps.push([t, [input(20)]]);
        const result = levels(steps);
        assert.equal(result[5], 'amber');
        assert.equal(result[6], 'amber');
        assert.equal(result.indexOf('ok'), steps.findIndex(([t]) => t === 17)); // calm from 7, ok at 7 + 10
    });

    it('a projected kill inside the window also keeps amber from calming down', () => {
        const result = levels([
            [0, [input(45)]],
            [1, [input(10)]],
            [5, [input(10, { projectedKillIn: 40 })]],
            [14, [input(10)]],
            [15, [input(10)]],
            [24, [input(10)]],
        ]);
        assert.deepEqual(result, one('amber', 'amber', 'amber', 'amber', 'amber', 'ok'));
    });

    it('needs every cgroup calm to leave amber, and any one to enter it', () => {
        assert.equal(nextLevel(INITIAL_LEVEL_STATE, 0, [input(1), input(1, { limitPercent: 60 }), input(30, { limitPercent: 60 })], S).level, 'amber');
        const result = levels([
            [0, [input(50), input(10)]],
            [1, [input(10), input(35)]],
            [20, [input(10), input(35)]],
            [21, [input(10), input(10)]],
            [31, [input(10), input(10)]],
        ]);
        assert.deepEqual(result, one('amber', 'amber', 'amber', 'amber', 'ok'));
    });

    it('honours other settings: no hold means amber drops to ok on the first calm reading', () => {
        const instant: LevelSettings = { ...S, exitHoldSec: 0 };
        assert.deepEqual(levels([[0, [input(50)]], [1, [input(5)]]], INITIAL_LEVEL_STATE, instant), one('amber', 'ok'));
    });
});
