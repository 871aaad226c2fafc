import assert from 'node:assert/strict';
import fc from 'fast-check';

import { EXP_10S, nextAvg10, PSI_PERIOD_SEC, secondsToCross, stallPercent } from '../../src/core/projection.js';

// kernel/sched/psi.c: EXP_10s = 1677 in 11-bit fixed point (FIXED_1 = 2048), avg updated every 2 s.
const KERNEL_FACTOR = 1677 / 2048;

/** The kernel's recurrence, written out independently of the module under test; calc_avgs truncates
 *  each period's stall share to a whole percent (pct = time * 100 / period). */
function kernelStep(avg: number, samplePercent: number): number {
    return avg * KERNEL_FACTOR + Math.trunc(samplePercent) * (1 - KERNEL_FACTOR);
}

/** Seconds to the first update after which the iterated avg10 is strictly above `limit`, or null within `max` updates. */
function iteratedCrossing(avg10: number, stall: number, limit: number, nextUpdateIn: number, max = 5000): number | null {
    let avg = avg10;
    for (let n = 1; n <= max; n++) {
        avg = kernelStep(avg, stall);
        if (avg > limit)
            return nextUpdateIn + (n - 1) * 2;
    }
    return null;
}

describe('stallPercent', () => {
    it('is the stall share of wall time between two readings of full total', () => {
        assert.equal(stallPercent({ time: 10, total: 5_000_000 }, { time: 12, total: 6_500_000 }), 75);
        assert.equal(stallPercent({ time: 0, total: 0 }, { time: 1, total: 1_000_000 }), 100);
        assert.equal(stallPercent({ time: 0, total: 7 }, { time: 4, total: 7 }), 0);
    });

    it('gives null when the readings are less than 0.5 s apart or out of order', () => {
        assert.equal(stallPercent({ time: 0, total: 0 }, { time: 0.49, total: 100_000 }), null);
        assert.equal(stallPercent({ time: 3, total: 0 }, { time: 3, total: 0 }), null);
        assert.equal(stallPercent({ time: 5, total: 0 }, { time: 4, total: 100_000 }), null);
        assert.equal(stallPercent({ time: 0, total: 0 }, { time: NaN, total: 0 }), null);
        assert.equal(stallPercent({ time: 0, total: 0 }, { time: 0.5, total: 250_000 }), 50);
    });

    it('clamps to 0..100 (a total that went backwards, or more stall than wall time)', () => {
        assert.equal(stallPercent({ time: 0, total: 9_000_000 }, { time: 1, total: 1_000 }), 0);
        assert.equal(stallPercent({ time: 0, total: 0 }, { time: 1, total: 1_300_000 }), 100);
    });

    it('stays within 0..100 for any readings at least 0.5 s apart', () => {
        fc.assert(fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0.5, max: 1e4, noNaN: true }),
            fc.maxSafeNat(), fc.maxSafeNat(), (t0, dt, a, b) => {
                const p = stallPercent({ time: t0, total: a }, { time: t0 + dt, total: b });
                assert.ok(p !== null && p >= 0 && p <= 100, String(p));
            }));
    });
});

describe('nextAvg10', () => {
    it('uses the kernel factor 1677/2048 (≈ e^−0.2) and a 2 s period', () => {
        assert.equal(EXP_10S, 1677 / 2048);
        assert.equal(PSI_PERIOD_SEC, 2);
        assert.ok(Math.abs(EXP_10S - Math.exp(-0.2)) < 1e-3);
        assert.equal(nextAvg10(0, 100), 100 * (371 / 2048));
        assert.equal(nextAvg10(50, 50), 50);
        assert.equal(nextAvg10(100, 0), 100 * (1677 / 2048));
    });

    it('reproduces the notes\' table from 0 at 100 % stall: 18.1, 32.9, …, 79.8 (16 s), 83.4 (18 s)', () => {
        const expected = [18.1, 32.9, 45.1, 55.0, 63.2, 69.9, 75.3, 79.8, 83.4];
        let avg = 0;
        for (const value of expected) {
            avg = nextAvg10(avg, 100);
            assert.ok(Math.abs(avg - value) < 0.06, `${avg} vs ${value}`);
        }
    });

    it('truncates the stall share to a whole percent, as the kernel does', () => {
        assert.equal(nextAvg10(80, 80.9), 80);
        assert.ok(nextAvg10(80, 81) > 80);
    });

    it('matches the kernel recurrence for any average and sample', () => {
        fc.assert(fc.property(fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (a, s) => {
            const next = nextAvg10(a, s);
            assert.ok(Math.abs(next - kernelStep(a, s)) < 1e-9);
            const whole = Math.trunc(s);
            assert.ok(next >= Math.min(a, whole) - 1e-9 && next <= Math.max(a, whole) + 1e-9);
        }));
    });
});

describe('secondsToCross', () => {
    it('from 0 at 100 % stall, crosses 80 % at 18 s when the next update is 2 s away', () => {
        // Independently: 8 updates give 79.8 % (16 s), the 9th 83.4 % (18 s).
        let avg = 0;
        for (let n = 0; n < 8; n++)
            avg = kernelStep(avg, 100);
        assert.ok(avg < 80);
        assert.ok(kernelStep(avg, 100) > 80);
        assert.equal(secondsToCross(0, 100, 80, 2), 18);
        assert.equal(iteratedCrossing(0, 100, 80, 2), 18);
    });

    it('shifts with the phase of the kernel\'s next update', () => {
        assert.equal(secondsToCross(0, 100, 80, 0.5), 16.5);
        assert.equal(secondsToCross(0, 100, 80, 1), 17);
    });

    it('gives 0 when avg10 is already above the limit, whatever the stall', () => {
        assert.equal(secondsToCross(80.01, 0, 80, 2), 0);
        assert.equal(secondsToCross(95, 100, 80, 1.3), 0);
    });

    it('never crosses when the stall share is at or below the limit', () => {
        assert.equal(secondsToCross(0, 80, 80, 2), null);
        assert.equal(secondsToCross(79.99, 80, 80, 2), null);
        assert.equal(secondsToCross(50, 30, 80, 2), null);
    });

    it('needs one more update when an update lands exactly on the limit (strictly above, like oomd)', () => {
        // 100 · (1 − 1677/2048) = 18.115234375 exactly: the first update reaches the limit but is not above it.
        const limit = 100 * (371 / 2048);
        assert.equal(kernelStep(0, 100), limit);
        assert.equal(secondsToCross(0, 100, limit, 2), 4);
        assert.equal(iteratedCrossing(0, 100, limit, 2), 4);
    });

    it('needs one update when avg10 sits exactly at the limit and the stall is above', () => {
        assert.equal(secondsToCross(80, 90, 80, 1.5), 1.5);
    });

    it('is the first update at which the iterated kernel value exceeds the limit (property)', () => {
        const centi = fc.integer({ min: 0, max: 10000 }).map(c => c / 100);
        fc.assert(fc.property(
            fc.oneof(centi, fc.double({ min: 0, max: 100, noNaN: true })),
            fc.oneof(centi, fc.double({ min: 0, max: 100, noNaN: true })),
            fc.oneof(fc.integer({ min: 1, max: 99 }), fc.double({ min: 1, max: 99, noNaN: true })),
            fc.double({ min: 0.01, max: 2, noNaN: true }),
            (avg10, stall, limit, nextUpdateIn) => {
                const result = secondsToCross(avg10, stall, limit, nextUpdateIn);
                if (avg10 > limit) {
                    assert.equal(result, 0);
                    return;
                }
                if (Math.trunc(stall) <= limit) {
                    assert.equal(result, null);
                    assert.equal(iteratedCrossing(avg10, stall, limit, nextUpdateIn, 500), null);
                    return;
                }
                // Skip float ties, where the closed form and the iteration may round apart.
                const expected = iteratedCrossing(avg10, stall, limit, nextUpdateIn, 100_000);
                fc.pre(expected !== null);
                const n = (expected - nextUpdateIn) / 2 + 1;
                const whole = Math.trunc(stall);
                const closed = (k: number) => whole - (whole - avg10) * KERNEL_FACTOR ** k;
                fc.pre(Math.abs(closed(n) - limit) > 1e-9 && Math.abs(closed(n - 1) - limit) > 1e-9);
                assert.equal(result, expected);
            }), { numRuns: 3000 });
    });
});
