import assert from 'node:assert/strict';

import type { Snapshot } from '../../src/core/engine.js';
import { snapshotReport } from '../../src/core/report.js';

const APP = '/user.slice/user-1000.slice/user@1000.service/app.slice';

describe('snapshotReport', () => {
    it('reports every slice with its name, policy, verdict and rounded numbers', () => {
        const over = {
            path: APP, policy: { limitPercent: 80, durationSec: 20 }, avg10: 83.12, stall: 97.123456,
            projectedKillIn: 11.666666,
            verdict: { over: true, overFor: 8.33, target: false, reclaimActive: true, inPostActionDelay: false, secondsLeft: 11.666666, wouldAct: false },
            error: null,
        };
        const unreadable = {
            path: '/system.slice', policy: { limitPercent: 80, durationSec: 20 }, avg10: null, stall: null,
            projectedKillIn: null, verdict: null, error: { code: 'unreadable', message: 'Permission denied' },
        };
        const snapshot: Snapshot = { time: 42, level: 'red', reason: null, slices: [over, unreadable], worst: over };
        assert.deepEqual(snapshotReport(snapshot), {
            level: 'red',
            reason: null,
            worst: APP,
            slices: [
                {
                    path: APP, name: 'Apps', fullAvg10: 83.12, stall: 97.12, limitPercent: 80, durationSec: 20, over: true,
                    secondsLeft: 11.67, reclaimActive: true, projectedKillIn: 11.67, error: null,
                },
                {
                    path: '/system.slice', name: 'System services', fullAvg10: null, stall: null, limitPercent: 80,
                    durationSec: 20, over: null, secondsLeft: null, reclaimActive: null, projectedKillIn: null,
                    error: 'Permission denied',
                },
            ],
        });
    });

    it('keeps the reason and an empty slice list when unknown, and survives JSON', () => {
        const snapshot: Snapshot = { time: 0, level: 'unknown', reason: 'no monitored cgroup', slices: [], worst: null };
        const report = snapshotReport(snapshot);
        assert.deepEqual(report, { level: 'unknown', reason: 'no monitored cgroup', worst: null, slices: [] });
        assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
    });

    it('keeps a null reclaim state and a zero countdown distinct from missing values', () => {
        const s = {
            path: `${APP}/app-org.gnome.Terminal.slice`, policy: { limitPercent: 60, durationSec: 30 }, avg10: 61, stall: 0,
            projectedKillIn: 0,
            verdict: { over: true, overFor: 30, target: true, reclaimActive: null, inPostActionDelay: false, secondsLeft: 0, wouldAct: true },
            error: null,
        };
        const [row] = snapshotReport({ time: 1, level: 'red', reason: null, slices: [s], worst: s }).slices;
        assert.ok(row);
        assert.equal(row.name, 'app-org.gnome.Terminal');
        assert.equal(row.secondsLeft, 0);
        assert.equal(row.projectedKillIn, 0);
        assert.equal(row.stall, 0);
        assert.equal(row.reclaimActive, null);
        assert.equal(row.limitPercent, 60);
        assert.equal(row.durationSec, 30);
    });
});
