// Regressions found in review: reclaim must not be called inactive before 30 s of watching, and a
// passing read error must not restart the oomd countdown.
import assert from 'node:assert/strict';

import { PressureEngine, type CgroupReading } from '../../src/core/engine.js';
import { DEFAULT_LEVEL_SETTINGS } from '../../src/core/level.js';
import { FEDORA_POLICY, initialOomdState, oomdTick, type OomdCgroupState, type OomdVerdict } from '../../src/core/oomd.js';
import { parsePsi } from '../../src/core/psi.js';
import { fail } from '../../src/core/result.js';

describe('regressions from review', () => {
    it('oomd: does not claim "no reclaim" before it has watched pgscan for 30 s', () => {
        // Headroom starts watching a slice that oomd has watched for long (extension enabled, shell
        // restarted, screen unlocked). A pgscan that stayed flat for the few seconds Headroom has seen says
        // nothing about a rise oomd may have recorded up to 30 s earlier.
        let state: OomdCgroupState = initialOomdState();
        const verdicts: OomdVerdict[] = [];
        for (let t = 0; t <= 31; t++) {
            const next = oomdTick(state, { time: t, avg10: 95, pgscan: 777 }, FEDORA_POLICY, null);
            state = next.state;
            verdicts.push(next.verdict);
        }
        assert.equal(verdicts[1]?.reclaimActive, null);   // actual: false
        assert.equal(verdicts[20]?.target, true);
        assert.equal(verdicts[20]?.wouldAct, true);       // actual: false
        assert.equal(verdicts[31]?.reclaimActive, false); // watched for > 30 s without a rise: now known
    });

    it('engine: one failed read does not restart the oomd countdown', () => {
        const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
        const good = (t: number): CgroupReading => ({
            path: '/system.slice', policy: FEDORA_POLICY, pgscan: t,
            psi: parsePsi('some avg10=90.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=90.00 avg60=0.00 avg300=0.00 total=0\n'),
        });
        for (let t = 0; t <= 15; t++)
            engine.update({ time: t, readings: [good(t)] });
        engine.update({ time: 16, readings: [{ ...good(16), psi: fail('unreadable', 'Interrupted system call') }] });
        const s = engine.update({ time: 17, readings: [good(17)] }).slices[0];
        assert.equal(s?.verdict?.secondsLeft, 3);         // actual: 20
    });
});
