// Lead time of the pre-kill notification on synthetic traces computed with the kernel's PSI arithmetic:
// how long before the kill the v257 rule predicts does the user hear of it, and do short bursts stay quiet?

import assert from 'node:assert/strict';

import { DEFAULT_EPISODE_SETTINGS } from '../../src/core/episode.js';
import { runReplay, type ReplayEvent } from '../../src/core/replay.js';
import {
    burst, calcLoad, formatLeadTimeTable, kernelPsi, leadTimeRow, leadTimeTable, sampleTimes, showAvg, stallTrace,
    sustainedStall, TRACE_BYSTANDER, TRACE_SLICE, TRACE_THRASHER, type LeadTimeRow,
} from '../../src/core/traces.js';

/** Kernel update phases and stall onsets (relative to the 1 s sampling grid) every case is tried with. */
const PHASES = [0, 0.5, 1, 1.5, 1.9];
const ONSETS = [10, 10.25, 10.5, 10.75];

const count = (events: readonly ReplayEvent[], kind: ReplayEvent['kind']) => events.filter(e => e.kind === kind).length;

describe('synthetic traces (kernel PSI arithmetic)', () => {
    const slice = (records: ReturnType<typeof stallTrace>) => records.filter(r => r.cgroup === TRACE_SLICE);

    it('reproduces avg10 from 0 under a 100 % stall: 18.11, 32.94, … 79.78 (16 s), 83.44 (18 s)', () => {
        // Updates at 0, 2, 4, …; the stall starts at an update.
        const psi = kernelPsi([{ from: 0, to: 100, percent: 100 }], [2, 4, 6, 8, 10, 12, 14, 16, 18], 0);
        assert.deepEqual(psi.map(p => p.avg10), [18.11, 32.94, 45.09, 55.04, 63.18, 69.85, 75.31, 79.78, 83.44]);
    });

    it('uses calc_load() with FIXED_1 = 2048 and rounds up while rising, and prints truncated hundredths', () => {
        assert.equal(calcLoad(0, 1677, 100 * 2048), 37_100);
        assert.equal(calcLoad(37_100, 1677, 0), 30_379);
        assert.equal(showAvg(37_100), 18.11);
        assert.equal(showAvg(2048 * 80), 80);
        assert.equal(showAvg(2048 * 80 + 20), 80);
        assert.equal(showAvg(2048 * 80 + 21), 80.01);
    });

    it('truncates each period\'s stall share to whole percent: a sustained 80.9 % stall never takes avg10 above 80', () => {
        const psi = kernelPsi([{ from: 0, to: 1000, percent: 80.9 }], [600], 0.5);
        assert.ok((psi[0]?.avg10 ?? 0) <= 80, String(psi[0]?.avg10));
    });

    it('moves avg10 only at the 2 s updates, at the given phase, while full_total rises every second', () => {
        const at = (phase: number) => slice(stallTrace([{ from: 10, to: 40, percent: 100 }], { phase, endSec: 20 }));
        const r = at(0.5);
        assert.deepEqual(r.map(x => x.full_total).slice(9, 14), [0, 0, 1_000_000, 2_000_000, 3_000_000]);
        // Update at 10.5 s: 0.5 s stalled of 2 → 25 % → 4.52; at 12.5 s: 100 % → 21.82.
        assert.deepEqual(r.map(x => x.full_avg10).slice(10, 15), [0, 4.52, 4.52, 21.82, 21.82]);
        // Update at 11.5 s: 1.5 s stalled → 75 % → 13.58; at 13.5 s: 100 % → 29.24.
        const late = at(1.5);
        assert.deepEqual(late.map(x => x.full_avg10).slice(10, 15), [0, 0, 13.58, 13.58, 29.24]);
        assert.throws(() => stallTrace([], { phase: 2 }), RangeError);
    });

    it('scales the stall share: 85 % of wall time accumulates 850 ms a second', () => {
        const r = slice(sustainedStall(85, { calmSec: 0, endSec: 4 }));
        assert.deepEqual(r.map(x => x.full_total), [0, 850_000, 1_700_000, 2_550_000, 3_400_000]);
    });

    it('raises pgscan on the slice and on the thrashing leaf only, while it stalls', () => {
        const records = sustainedStall(100, { calmSec: 5, stallSec: 5, endSec: 15 });
        const pg = (path: string) => records.filter(r => r.cgroup === path).map(r => r.pgscan ?? 0);
        const deltas = (xs: number[]) => xs.slice(1).map((x, i) => x - (xs[i] ?? 0));
        assert.deepEqual(deltas(pg(TRACE_THRASHER)), [0, 0, 0, 0, 0, 20_000, 20_000, 20_000, 20_000, 20_000, 0, 0, 0, 0, 0]);
        assert.deepEqual(deltas(pg(TRACE_SLICE)), deltas(pg(TRACE_THRASHER)));
        assert.ok(deltas(pg(TRACE_BYSTANDER)).every(d => d === 0));
        // The bystander is the bigger one.
        const mem = (path: string) => records.find(r => r.cgroup === path)?.memory_current ?? 0;
        assert.ok(mem(TRACE_BYSTANDER) > mem(TRACE_THRASHER));
    });

    it('samples every stepSec', () => {
        assert.deepEqual(sampleTimes(2, 0.5), [0, 0.5, 1, 1.5, 2]);
        assert.equal(slice(burst(5, 100, { stepSec: 0.25, endSec: 2 })).length, 9);
    });
});

describe('lead time of the pre-kill notification', () => {
    const table = leadTimeTable();

    before(() => {
        console.log(`\n${formatLeadTimeTable(table)}\n`);
    });

    it('leadTimeTable() gives the benchmark one row per standard trace', () => {
        assert.deepEqual(table.map(r => r.trace),
            ['sustained 85 %', 'sustained 90 %', 'sustained 100 %', 'burst 5 s', 'burst 10 s', 'burst 15 s']);
        for (const r of table)
            assert.deepEqual(Object.keys(r), ['trace', 'warnedAt', 'predictedKillAt', 'leadSec', 'warnings']);
    });

    for (const percent of [85, 90, 100]) {
        const row = table.find(r => r.trace === `sustained ${percent} %`) as LeadTimeRow;
        it(`sustained ${percent} % full stall: warned ${row.warnedAt} s after onset, kill predicted at ${row.predictedKillAt} s: ` +
            `${row.leadSec} s ahead — at least 30 s at every kernel phase and onset`, () => {
            const leads: number[] = [];
            for (const phase of PHASES) {
                for (const onset of ONSETS) {
                    const events = runReplay(sustainedStall(percent, { calmSec: onset, phase, stallSec: 70, endSec: 75 }));
                    const r = leadTimeRow('', events, onset);
                    const where = `phase ${phase}, onset ${onset}: ${JSON.stringify(r)}`;
                    assert.ok(r.leadSec !== null && r.leadSec >= 30, where);
                    assert.equal(r.warnings, 1, where);
                    const firstKill = events.find(e => e.kind === 'predicted-kill');
                    assert.ok(events.filter(e => e.kind === 'warning').every(w => w.time < (firstKill?.time ?? 0)), where);
                    if (percent === 100)
                        assert.ok((r.predictedKillAt ?? 0) >= 36 && (r.predictedKillAt ?? 0) <= 40, `kill ~38 s after onset; ${where}`);
                    leads.push(r.leadSec);
                }
            }
            assert.ok(Math.min(...leads) >= 30);
        });
    }

    it('stays quiet for bursts of full stall of up to 5 s from a calm start (85–100 %, every phase and onset)', () => {
        for (const seconds of [1, 2, 3, 4, 5]) {
            for (const percent of [85, 90, 95, 100]) {
                for (const phase of PHASES) {
                    for (const onset of ONSETS) {
                        const events = runReplay(burst(seconds, percent, { calmSec: onset, phase, endSec: 50 }));
                        const where = `${seconds} s at ${percent} %, phase ${phase}, onset ${onset}`;
                        assert.equal(count(events, 'warning'), 0, where);
                        assert.equal(count(events, 'predicted-kill'), 0, where);
                        assert.equal(count(events, 'timer-start'), 0, where);
                    }
                }
            }
        }
    });

    for (const seconds of [10, 15]) {
        const row = table.find(r => r.trace === `burst ${seconds} s`) as LeadTimeRow;
        it(`a ${seconds} s burst of 100 % full stall warns once (${row.warnedAt} s after onset) and leads to no kill: ` +
            'the warning cannot wait longer without losing the 30 s lead', () => {
            assert.equal(row.warnings, 1);
            assert.equal(row.warnedAt, 6);
            assert.equal(row.predictedKillAt, null);
            for (const phase of PHASES) {
                const events = runReplay(burst(seconds, 100, { phase }));
                assert.equal(count(events, 'warning'), 1, `phase ${phase}`);
                assert.equal(count(events, 'predicted-kill'), 0, `phase ${phase}`);
                assert.equal(count(events, 'end'), 1, `phase ${phase}`);
            }
        });
    }

    it('needs the 4 s confirm delay: with 3 s a 5 s burst would warn, exactly as it ends', () => {
        const three = { episode: { ...DEFAULT_EPISODE_SETTINGS, confirmSec: 3 } };
        const events = runReplay(burst(5), three);
        assert.deepEqual(events.filter(e => e.kind === 'warning').map(e => e.time), [15]);
        // The lead it would buy back is one second.
        const lead3 = leadTimeRow('', runReplay(sustainedStall(100), three), 10).leadSec;
        const lead4 = leadTimeRow('', runReplay(sustainedStall(100)), 10).leadSec;
        assert.equal((lead3 ?? 0) - (lead4 ?? 0), 1);
    });
});
