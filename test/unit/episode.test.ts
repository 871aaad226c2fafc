import assert from 'node:assert/strict';

import type { SliceStatus, Snapshot } from '../../src/core/engine.js';
import {
    DEFAULT_EPISODE_SETTINGS, EpisodeTracker, killedText, noticeText, roundedSeconds, stepEpisode, INITIAL_EPISODE_STATE,
    type EpisodeOutput, type EpisodeSettings, type VictimLookup,
} from '../../src/core/episode.js';
import { FEDORA_POLICY } from '../../src/core/oomd.js';

const APP = '/user.slice/user-1000.slice/user@1000.service/app.slice';
const SESSION = '/user.slice/user-1000.slice/user@1000.service/session.slice';

interface SliceSpec {
    path?: string;
    avg10?: number;
    /** Projected kill, seconds; null for none. */
    kill?: number | null;
    /** oomd's timer: seconds left while over the limit. */
    over?: number;
}

function slice({ path = APP, avg10 = 5, kill = null, over }: SliceSpec = {}): SliceStatus {
    const isOver = over !== undefined;
    return {
        path, policy: FEDORA_POLICY, avg10: isOver ? Math.max(avg10, 85) : avg10, stall: null, error: null,
        projectedKillIn: isOver ? over : kill,
        verdict: {
            over: isOver, overFor: isOver ? 20 - over : 0, target: isOver && over === 0, reclaimActive: true,
            inPostActionDelay: false, secondsLeft: isOver ? over : null, wouldAct: isOver && over === 0,
        },
    };
}

function snap(time: number, ...slices: SliceStatus[]): Snapshot {
    return { time, level: 'ok', reason: null, slices, worst: slices[0] ?? null };
}

/** Runs `specs(t)` for t in [from, to] through the tracker and returns the non-'none' outputs with their time. */
function run(tracker: EpisodeTracker, from: number, to: number, specs: (t: number) => SliceSpec[] | SliceSpec,
    victims?: VictimLookup): [number, EpisodeOutput][] {
    const out: [number, EpisodeOutput][] = [];
    for (let t = from; t <= to; t++) {
        const s = specs(t);
        const o = tracker.tick(snap(t, ...(Array.isArray(s) ? s : [s]).map(slice)), victims);
        if (o.kind !== 'none')
            out.push([t, o]);
    }
    return out;
}

const kinds = (outs: [number, EpisodeOutput][]) => outs.map(([t, o]) => `${t}:${o.kind}`);

describe('episode (pre-kill notification state machine)', () => {
    it('says nothing while calm', () => {
        const tracker = new EpisodeTracker();
        assert.deepEqual(run(tracker, 0, 100, () => ({})), []);
        assert.equal(tracker.state.openedAt, null);
    });

    it('shows one notification per episode and updates it only when its text would change', () => {
        const tracker = new EpisodeTracker();
        // A projected kill 38 s away from t = 10, shrinking one second per second.
        const outs = run(tracker, 0, 40, t => (t < 10 ? {} : { avg10: 20, kill: 48 - t }), 'Jellyfin');
        const shows = outs.filter(([, o]) => o.kind === 'show');
        assert.equal(shows.length, 1);
        const [shownAt, show] = shows[0] as [number, EpisodeOutput];
        assert.equal(shownAt, 10 + DEFAULT_EPISODE_SETTINGS.confirmSec);
        assert.ok(show.kind === 'show');
        assert.equal(show.notice.slice, APP);
        assert.equal(show.notice.victim, 'Jellyfin');
        assert.equal(show.notice.secondsLeft, 34);
        assert.equal(show.notice.title, 'Memory pressure');
        assert.equal(show.notice.body, 'systemd-oomd will stop Jellyfin in about 35 seconds');
        // Every later output is an update whose text differs from the one before.
        let body = show.notice.body;
        for (const [, o] of outs.filter(([t]) => t > shownAt)) {
            assert.equal(o.kind, 'update');
            assert.ok(o.kind === 'update');
            assert.notEqual(o.notice.body, body);
            body = o.notice.body;
        }
        // Long countdowns move in 5 s steps, the last 10 s in 1 s steps.
        const texts = outs.map(([, o]) => (o.kind === 'show' || o.kind === 'update' ? o.notice.body.replace(/\D+/g, ' ').trim() : ''));
        assert.deepEqual(texts, ['35', '30', '25', '20', '15', '10', '9', '8']);
    });

    it('sends nothing on repeated identical samples once shown', () => {
        const tracker = new EpisodeTracker();
        const outs = run(tracker, 0, 30, () => ({ over: 12 }), 'Firefox');
        assert.deepEqual(kinds(outs), ['0:show']);
    });

    it('updates in place when the victim changes', () => {
        const tracker = new EpisodeTracker();
        run(tracker, 0, 2, () => ({ over: 12 }), 'Firefox');
        const o = tracker.tick(snap(3, slice({ over: 12 })), 'Evolution');
        assert.ok(o.kind === 'update');
        assert.equal(o.notice.body, 'systemd-oomd will stop Evolution in about 15 seconds');
    });

    it('notifies only for a projected kill within the lead window', () => {
        const outside = new EpisodeTracker();
        assert.deepEqual(run(outside, 0, 30, () => ({ avg10: 20, kill: 50 })), []);
        assert.equal(outside.state.openedAt, null);
        const wider = new EpisodeTracker({ ...DEFAULT_EPISODE_SETTINGS, leadWindowSec: 60 });
        assert.deepEqual(kinds(run(wider, 0, 30, () => ({ avg10: 20, kill: 50 }))), [`${DEFAULT_EPISODE_SETTINGS.confirmSec}:show`]);
        // The boundary counts as inside.
        const edge = new EpisodeTracker();
        assert.equal(run(edge, 0, 30, () => ({ avg10: 20, kill: 45 }))[0]?.[1].kind, 'show');
    });

    it('waits for the projection to stay in the window for confirmSec; a shorter one does not notify', () => {
        const confirm = DEFAULT_EPISODE_SETTINGS.confirmSec;
        assert.equal(confirm, 4);
        // In the window at t = 10 … 10 + confirm - 1: just too short.
        const short = new EpisodeTracker();
        assert.deepEqual(run(short, 0, 40, t => (t >= 10 && t < 10 + confirm ? { avg10: 30, kill: 36 } : {})), []);
        // One more sample: it notifies at 10 + confirm.
        const long = new EpisodeTracker();
        assert.deepEqual(kinds(run(long, 0, 40, t => (t >= 10 && t <= 10 + confirm ? { avg10: 30, kill: 36 } : {})))
            .slice(0, 1), [`${10 + confirm}:show`]);
        // A gap restarts the confirm delay.
        const gap = new EpisodeTracker();
        assert.deepEqual(run(gap, 0, 40, t => (t >= 10 && t < 20 && t !== 13 ? { avg10: 30, kill: 36 } : { avg10: 30 }))
            .filter(([, o]) => o.kind === 'show').map(([t]) => t), [14 + confirm]);
        // confirmSec is a setting.
        const three = new EpisodeTracker({ ...DEFAULT_EPISODE_SETTINGS, confirmSec: 3 });
        assert.deepEqual(kinds(run(three, 0, 13, t => (t >= 10 ? { avg10: 30, kill: 36 } : {}))), ['13:show']);
    });

    it('notifies at once when oomd\'s timer starts, before any confirm delay', () => {
        const tracker = new EpisodeTracker();
        const outs = run(tracker, 0, 12, t => (t < 10 ? {} : { over: 20 - (t - 10) }), 'Firefox');
        assert.deepEqual(kinds(outs).slice(0, 1), ['10:show']);
        const first = outs[0]?.[1];
        assert.ok(first?.kind === 'show');
        assert.equal(first.notice.timerRunning, true);
        assert.equal(first.notice.secondsLeft, 20);
        // Also while a projection is still being confirmed.
        const racing = new EpisodeTracker();
        assert.deepEqual(kinds(run(racing, 0, 12, t => (t < 10 ? {} : t === 10 ? { avg10: 70, kill: 30 } : { over: 19 })))
            .slice(0, 1), ['11:show']);
    });

    it('stays quiet for a full-stall burst of up to 5 s (projections at onset+2 … onset+5, then gone)', () => {
        for (const len of [1, 2, 3, 4, 5]) {
            const tracker = new EpisodeTracker();
            // The engine projects from about 2 s after the onset to the end of the burst.
            const outs = run(tracker, 0, 120, t => (t >= 12 && t <= 10 + len ? { avg10: 10 + 8 * (t - 10), kill: 48 - t } : { avg10: 5 }));
            assert.deepEqual(outs.filter(([, o]) => o.kind !== 'end'), [], `${len} s burst`);
        }
    });

    it('ends the episode after a minute with every slice below the warning level, then starts a new one', () => {
        const tracker = new EpisodeTracker();
        const pressure = (t: number) => (t >= 10 && t < 30) || (t >= 150 && t < 160);
        const outs = run(tracker, 0, 250, t => (pressure(t) ? { over: 10 } : { avg10: t < 40 ? 45 : 10 }));
        // Warning level (avg10 ≥ 40) holds until t = 39; calm from 40; the episode ends at 40 + 60.
        assert.deepEqual(kinds(outs), ['10:show', '30:update', '100:end', '150:show', '160:update', '220:end']);
        const end = outs[2]?.[1];
        assert.deepEqual(end, { kind: 'end', shown: true, updates: 1 });
    });

    it('does not end while calm is interrupted, and counts the minute from the last warning sample', () => {
        const tracker = new EpisodeTracker();
        const outs = run(tracker, 0, 200, t => (t >= 10 && t < 15 ? { over: 5 } : t === 60 ? { avg10: 41 } : { avg10: 5 }));
        assert.deepEqual(kinds(outs), ['10:show', '15:update', '121:end']);
    });

    it('opens an episode on the warning level alone, without a notification, and ends it quietly', () => {
        const tracker = new EpisodeTracker();
        const outs = run(tracker, 0, 100, t => (t >= 10 && t < 20 ? { avg10: 50 } : {}));
        assert.deepEqual(outs, [[80, { kind: 'end', shown: false, updates: 0 }]]);
    });

    it('is silent when disabled, and withdraws a shown notification when turned off', () => {
        const off: EpisodeSettings = { ...DEFAULT_EPISODE_SETTINGS, enabled: false };
        const tracker = new EpisodeTracker(off);
        assert.deepEqual(run(tracker, 0, 100, t => (t >= 10 && t < 50 ? { over: 5 } : {})), []);
        assert.deepEqual(tracker.noteKill(40, 'Firefox'), { kind: 'none' });

        const on = new EpisodeTracker();
        run(on, 0, 5, () => ({ over: 5 }));
        on.settings = off;
        assert.deepEqual(on.tick(snap(6, slice({ over: 4 }))), { kind: 'end', shown: true, updates: 0 });
        assert.deepEqual(on.tick(snap(7, slice({ over: 3 }))), { kind: 'none' });
    });

    it('reports a kill once, naming the victim, with or without a warning before it', () => {
        const tracker = new EpisodeTracker();
        const k = tracker.noteKill(30, 'Jellyfin', APP);
        assert.deepEqual(k, {
            kind: 'killed', time: 30, victim: 'Jellyfin', slice: APP,
            title: 'Memory pressure', body: 'systemd-oomd stopped Jellyfin to free memory',
        });
        // The same kill heard twice (Killed signal and journal) is one kill.
        assert.deepEqual(tracker.noteKill(31, 'Jellyfin', APP), { kind: 'none' });
        // The next kill, 15 s later, is reported again.
        assert.equal(tracker.noteKill(45, 'Jellyfin', APP).kind, 'killed');
        assert.equal(tracker.noteKill(46, 'Firefox', APP).kind, 'killed');
        // A kill neither opens nor ends an episode.
        assert.equal(tracker.state.openedAt, null);
    });

    it('keeps the episode (and its one notification) across a kill while pressure stays high', () => {
        const tracker = new EpisodeTracker();
        const outs = run(tracker, 0, 19, t => ({ over: 20 - t }), 'Jellyfin');
        assert.equal(outs.filter(([, o]) => o.kind === 'show').length, 1);
        assert.equal(tracker.noteKill(20, 'Jellyfin', APP).kind, 'killed');
        const after = run(tracker, 20, 40, t => ({ over: Math.max(0, 35 - t) }), 'Firefox');
        assert.ok(after.every(([, o]) => o.kind === 'update'));
        assert.equal(after[0]?.[1].kind === 'update' ? after[0][1].notice.body : '', 'systemd-oomd will stop Firefox in about 15 seconds');
    });

    it('follows the most urgent slice: the one over its limit before one with a projection', () => {
        const tracker = new EpisodeTracker();
        const victims = new Map([[APP, 'Firefox'], [SESSION, 'GNOME Shell']]);
        const outs = run(tracker, 0, 10, t => [{ avg10: 30, kill: 30 }, { path: SESSION, ...(t >= 6 ? { over: 15 } : {}) }], victims);
        assert.deepEqual(kinds(outs), ['4:show', '6:update']);
        const update = outs[1]?.[1];
        assert.ok(update?.kind === 'update');
        assert.equal(update.notice.slice, SESSION);
        assert.equal(update.notice.body, 'systemd-oomd will stop GNOME Shell in about 15 seconds');
    });

    it('says when the kill is no longer expected, and when it is due now', () => {
        const tracker = new EpisodeTracker();
        run(tracker, 0, 5, () => ({ avg10: 30, kill: 30 }));
        const easing = tracker.tick(snap(6, slice({ avg10: 30 })));
        assert.ok(easing.kind === 'update');
        assert.equal(easing.notice.secondsLeft, null);
        assert.equal(easing.notice.body, 'Memory pressure is easing; systemd-oomd is not expected to stop an app now');
        const now = tracker.tick(snap(7, slice({ over: 0 })), 'Firefox');
        assert.ok(now.kind === 'update');
        assert.equal(now.notice.body, 'systemd-oomd may stop Firefox now');
    });

    it('ignores unreadable slices', () => {
        const unreadable: SliceStatus = { ...slice(), avg10: null, verdict: null, error: { code: 'unreadable', message: 'EACCES' } };
        const tracker = new EpisodeTracker();
        for (let t = 0; t < 100; t++)
            assert.deepEqual(tracker.tick(snap(t, unreadable)), { kind: 'none' });
    });

    it('is a pure step function underneath', () => {
        const s0 = INITIAL_EPISODE_STATE;
        const a = stepEpisode(s0, snap(0, slice({ over: 10 })), DEFAULT_EPISODE_SETTINGS, 'X');
        const b = stepEpisode(s0, snap(0, slice({ over: 10 })), DEFAULT_EPISODE_SETTINGS, 'X');
        assert.deepEqual(a, b);
        assert.equal(s0.openedAt, null);
        assert.equal(a.output.kind, 'show');
    });

    it('rounds the countdown for the text: exact to 10 s, 5 s steps above', () => {
        assert.deepEqual([0, 0.2, 9.1, 10, 10.5, 11, 15, 16, 37.9].map(roundedSeconds), [0, 1, 10, 10, 15, 15, 15, 20, 40]);
        assert.equal(noticeText(3, null).body, 'systemd-oomd will stop an app in about 3 seconds');
        assert.equal(noticeText(1, 'Foo').body, 'systemd-oomd will stop Foo in about 1 second');
    });
});

describe('notification texts with hostile names', () => {
    it('show a container or app name literally, "$&" and "%s" included', () => {
        assert.equal(noticeText(30, 'a$&b %s').body, 'systemd-oomd will stop a$&b %s in about 30 seconds');
        assert.equal(noticeText(0, "$'x").body, "systemd-oomd may stop $'x now");
        assert.equal(killedText('$`y').body, 'systemd-oomd stopped $`y to free memory');
    });
});
