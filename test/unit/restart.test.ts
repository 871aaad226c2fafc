import assert from 'node:assert/strict';

import {
    judgeRestart, ownerUnit, restartable, restartSentence, withRestart, type RestartOutcome, type UnitSample,
} from '../../src/core/restart.js';

const MANAGER = '/user.slice/user-1000.slice/user@1000.service';
const KILL = 1000;

/** A read `at` seconds after the kill; a running service that became active long before it by default. */
function read(at: number, activeState: string, subState: string, nRestarts: number | null = 0,
    activeEnter: number | null = KILL - 3600): UnitSample {
    return { time: KILL + at, activeState, subState, nRestarts, activeEnter };
}

const running = (at: number, n = 0, enter = KILL - 3600) => read(at, 'active', 'running', n, enter);
const failed = (at: number, n = 0) => read(at, 'failed', 'failed', n, KILL - 3600);
const autoRestart = (at: number, n = 0) => read(at, 'activating', 'auto-restart', n, KILL - 3600);

/** The outcome after each read, as the watch sees it (judged right after the read). */
function outcomes(samples: UnitSample[]): (RestartOutcome | null)[] {
    return samples.map((s, i) => judgeRestart(KILL, samples.slice(0, i + 1), s.time));
}

describe('restart (after a kill: did systemd restart the service?)', () => {
    describe('ownerUnit', () => {
        it('finds a quadlet below the user manager by its service, not its payload', () => {
            assert.deepEqual(ownerUnit(`${MANAGER}/app.slice/jellyfin.service/libpod-payload-0123abcd`, MANAGER),
                { unit: 'jellyfin.service', manager: 'user', own: false });
        });

        it('a system service killed in its own cgroup is asked of PID 1', () => {
            assert.deepEqual(ownerUnit('/system.slice/jellyfin.service', MANAGER),
                { unit: 'jellyfin.service', manager: 'system', own: true });
            assert.deepEqual(ownerUnit('/system.slice/jellyfin.service/libpod-payload-0123abcd/container', MANAGER),
                { unit: 'jellyfin.service', manager: 'system', own: false });
        });

        it('an app scope is its own unit (and is never watched)', () => {
            const scope = ownerUnit(`${MANAGER}/app.slice/app-gnome-firefox-4242.scope`, MANAGER);
            assert.deepEqual(scope, { unit: 'app-gnome-firefox-4242.scope', manager: 'user', own: true });
            assert.equal(restartable(scope.unit), false);
            assert.equal(restartable('jellyfin.service'), true);
        });

        it('the user manager itself belongs to PID 1; another user\'s units cannot be asked; slices own nothing', () => {
            assert.deepEqual(ownerUnit(MANAGER, MANAGER), { unit: 'user@1000.service', manager: 'system', own: true });
            assert.equal(ownerUnit('/user.slice/user-1001.slice/user@1001.service/app.slice/x.service', MANAGER), null);
            assert.equal(ownerUnit(`${MANAGER}/app.slice`, MANAGER), null);
            assert.equal(ownerUnit('/', MANAGER), null);
        });
    });

    describe('judgeRestart', () => {
        it('restarted: down, auto-restart, then up with NRestarts one higher', () => {
            assert.deepEqual(outcomes([failed(0), autoRestart(1), running(3, 1, KILL + 2)]), [null, null, 'restarted']);
        });

        it('the real systemd 257 sequence (test/vm): failed-before-auto-restart is not "stopped", even when it lasts', () => {
            const before = read(0, 'failed', 'failed-before-auto-restart', 0, KILL - 3600);
            const later = read(30, 'failed', 'failed-before-auto-restart', 0, KILL - 3600);
            assert.deepEqual(outcomes([before, later]), [null, null]);
            assert.deepEqual(outcomes([before, autoRestart(0.5), read(0.8, 'activating', 'auto-restart-queued', 1),
                running(1.9, 1, KILL + 1.8)]), [null, null, null, 'restarted']);
        });

        it('restarted even when the restart finished before the first read (active since after the kill)', () => {
            assert.deepEqual(outcomes([running(0.2, 1, KILL + 0.15)]), ['restarted']);
        });

        it('restarted by NRestarts alone when the timestamp is unreadable', () => {
            assert.deepEqual(outcomes([read(0, 'activating', 'auto-restart', 4, null), read(1, 'active', 'running', 5, null)]),
                [null, 'restarted']);
        });

        it('an activation during the restart (start) is not yet a restart', () => {
            assert.deepEqual(outcomes([autoRestart(0), read(1, 'activating', 'start', 1)]), [null, null]);
        });

        it('stopped: failed without a restart scheduled, and still so after the hold', () => {
            assert.deepEqual(outcomes([failed(0), failed(3), failed(6)]), [null, null, 'stopped']);
            assert.deepEqual(outcomes([read(0, 'inactive', 'dead'), read(6, 'inactive', 'dead')]), [null, 'stopped']);
        });

        it('a failed service that something else starts again within the hold is restarted, not stopped', () => {
            assert.deepEqual(outcomes([failed(0), failed(3), running(6, 0, KILL + 5)]), [null, null, 'restarted']);
        });

        it('a restart loop that systemd gives up on ends stopped', () => {
            const samples = [autoRestart(0), read(1, 'activating', 'start', 1), read(3, 'failed', 'failed', 5),
                read(10, 'failed', 'failed', 5)];
            assert.deepEqual(outcomes(samples), [null, null, null, 'stopped']);
        });

        it('running: a sub-cgroup was killed and the unit stayed active; said only at the end of the window', () => {
            const samples = [running(0), running(1), running(30), running(60)];
            assert.deepEqual(outcomes(samples), [null, null, null, 'running']);
        });

        it('a restart scheduled beyond the window (long RestartSec=) is "restarting" at its end', () => {
            assert.deepEqual(outcomes([failed(0), autoRestart(1), autoRestart(60)]), [null, null, 'restarting']);
        });

        it('restarted but not up by the end of the window is "restarting"', () => {
            assert.deepEqual(outcomes([running(0), read(60, 'activating', 'start', 1)]), [null, 'restarting']);
        });

        it('down at the end of the window is stopped even without the hold', () => {
            assert.deepEqual(outcomes([running(0), failed(60)]), [null, 'stopped']);
        });

        it('unknown: no read at all, or an unreadable state at the end', () => {
            assert.equal(judgeRestart(KILL, [], KILL + 30), null);
            assert.equal(judgeRestart(KILL, [], KILL + 60), 'unknown');
            assert.equal(judgeRestart(KILL, [running(0), read(60, 'deactivating', 'stop-sigterm')], KILL + 60), 'unknown');
        });

        it('a unit that entered active just before the kill is not taken for restarted', () => {
            assert.deepEqual(outcomes([running(0, 0, KILL - 5), running(60, 0, KILL - 5)]), [null, 'running']);
        });
    });

    describe('the sentence', () => {
        it('says what systemd did, with the unit as systemd names it; nothing for running or unknown', () => {
            assert.equal(restartSentence('restarted', 'jellyfin.service'), 'systemd restarted jellyfin.service');
            assert.equal(restartSentence('restarting', 'jellyfin.service'), 'systemd is restarting jellyfin.service');
            assert.equal(restartSentence('stopped', 'jellyfin.service'), 'systemd will not restart jellyfin.service');
            assert.equal(restartSentence('running', 'jellyfin.service'), null);
            assert.equal(restartSentence('unknown', 'jellyfin.service'), null);
        });

        it('keeps a unit name literally, $-patterns and markup included', () => {
            assert.equal(restartSentence('restarted', 'a$&<b>.service'), 'systemd restarted a$&<b>.service');
        });

        it('goes on a line of its own after the kill news', () => {
            assert.equal(withRestart('systemd-oomd stopped jellyfin to free memory', 'systemd restarted jellyfin.service'),
                'systemd-oomd stopped jellyfin to free memory. systemd restarted jellyfin.service');
            assert.equal(withRestart('body', null), 'body');
        });
    });
});
