import assert from 'node:assert/strict';

import { commonParent, QuietGate, SETTLE_SEC } from '../../src/core/quiet.js';

const MANAGER = '/user.slice/user-1000.slice/user@1000.service';

describe('commonParent', () => {
    it('is the user manager for its slices', () => {
        assert.equal(commonParent([`${MANAGER}/app.slice`, `${MANAGER}/session.slice`, `${MANAGER}/background.slice`]), MANAGER);
    });

    it('is the deepest cgroup above all, not a shared prefix of names', () => {
        assert.equal(commonParent(['/a/b/app.slice', '/a/b/app.slice-2/x']), '/a/b');
        assert.equal(commonParent(['/a/b/c', '/a/b']), '/a');
    });

    it('is the root (an empty path) for cgroups in different top-level slices', () => {
        assert.equal(commonParent(['/system.slice', '/user.slice/user-1000.slice']), '');
    });

    it('is null for fewer than two cgroups (reading a parent too would save nothing)', () => {
        assert.equal(commonParent([`${MANAGER}/app.slice`]), null);
        assert.equal(commonParent([]), null);
    });
});

describe('QuietGate', () => {
    /** One sample as the sampler takes it: the parent first, then, unless the readings stand, the slices. */
    function tick(gate: QuietGate, time: number, someTotal: number, slicesZero: boolean): 'reused' | 'read' {
        const parent = { time, someTotal };
        if (gate.parentRead(parent))
            return 'reused';
        gate.slicesRead(parent, slicesZero);
        return 'read';
    }

    it('lets the readings stand only after the parent has been quiet for longer than an averaging period', () => {
        const gate = new QuietGate();
        const seen = [0, 1, 2, 3, 4, 5].map(t => tick(gate, 100 + t, 5000, true));
        // Read at 100 (first sight of the total) … 103 (quiet for 3 s); reused from 104 on.
        assert.deepEqual(seen, ['read', 'read', 'read', 'read', 'reused', 'reused']);
        assert.equal(SETTLE_SEC, 3);
    });

    it('reads the slices again at the first change of the parent, and waits anew', () => {
        const gate = new QuietGate();
        for (let t = 0; t <= 4; t++)
            tick(gate, t, 5000, true);
        assert.equal(tick(gate, 5, 5000, true), 'reused');
        // A stall somewhere below: one more microsecond of `some` in the parent.
        assert.equal(tick(gate, 6, 5001, true), 'read');
        assert.equal(tick(gate, 7, 5001, true), 'read');
        assert.equal(tick(gate, 9, 5001, true), 'read');
        assert.equal(tick(gate, 10, 5001, true), 'reused');
    });

    it('never lets readings stand while a slice shows a stall average (it decays) or could not be read', () => {
        const gate = new QuietGate();
        const seen = [];
        for (let t = 0; t < 20; t++)
            seen.push(tick(gate, t, 7000, t < 15 ? false : true));
        // avg10 decays to 0.00 at t = 15: from then on, after the reads that show it, the readings stand.
        assert.deepEqual(seen.slice(0, 16), Array(16).fill('read'));
        assert.deepEqual(seen.slice(16), ['reused', 'reused', 'reused', 'reused']);
    });

    it('does not settle on slices read before a newer parent reading that changed', () => {
        const gate = new QuietGate();
        const before = { time: 10, someTotal: 1 };
        gate.parentRead({ time: 0, someTotal: 1 });
        gate.parentRead(before);
        // The parent moved before the slices read after `before` answered (a slow sample).
        gate.parentRead({ time: 11, someTotal: 2 });
        gate.slicesRead(before, true);
        assert.equal(gate.parentRead({ time: 15, someTotal: 2 }), false);
    });

    it('forgets everything on reset (the slices changed, or the parent could not be read)', () => {
        const gate = new QuietGate(0);
        tick(gate, 0, 1, true);
        assert.equal(tick(gate, 1, 1, true), 'reused');
        gate.reset();
        assert.equal(tick(gate, 2, 1, true), 'read');
    });
});
