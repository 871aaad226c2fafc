// When to tell the user that systemd-oomd is about to stop something, and that it did: a pure state
// machine fed with the engine's snapshot once per sample.
//
//  * An episode opens at the first sample where any slice is at the warning level: over its oomd limit,
//    avg10 at or above `warnFraction` of the limit, or a kill projected within the lead window.
//  * The notification is shown, once per episode, at the first of:
//      - oomd's timer starts on a slice (avg10 above the limit): at once;
//      - a slice's projected kill has stayed within the lead window for `confirmSec`.
//    The confirm delay is what keeps short bursts of full stall quiet. The engine measures the stall
//    share over about 2 s, so a burst keeps a projection in the window from about 2 s after its onset
//    to its end: a 5 s burst sampled every second yields projections at onset+2 … onset+5, i.e. for 3 s,
//    and at onset+5 it is indistinguishable from the start of a sustained stall. A confirm delay of 4 s
//    is the shortest that lets every burst of up to 5 s pass (at any sampling and kernel phase); under a
//    sustained 100 % stall it still notifies 5.8–6.7 s after onset, 30–33 s before the kill the v257
//    rule predicts (36–39 s after onset). See test/unit/leadtime.test.ts.
//  * While the episode lasts the notification is updated in place, only when its text would change.
//  * The episode ends when every slice has been below the warning level, with no kill projected in the
//    lead window, for `quietSec`; the next warning opens a new episode with a new notification.
//  * `noteKill` (oomd's Killed signal, or a replay marker) yields one 'killed' output naming the victim.

import type { Snapshot, SliceStatus } from './engine.js';
import { formatSeconds } from './format.js';
import { _, fill } from './i18n.js';

export interface EpisodeSettings {
    /** Notifications on or off. */
    enabled: boolean;
    /** A projected kill at most this many seconds away counts as imminent. */
    leadWindowSec: number;
    /** An imminent projection must last this long before it notifies (oomd's timer notifies at once). */
    confirmSec: number;
    /** The episode ends after every slice has been calm this long. */
    quietSec: number;
    /** The warning level, as a fraction of each slice's oomd limit. */
    warnFraction: number;
}

export const DEFAULT_EPISODE_SETTINGS: EpisodeSettings = {
    enabled: true,
    leadWindowSec: 45,
    confirmSec: 4,
    quietSec: 60,
    warnFraction: 0.5,
};

/** What the notification says and is about. */
export interface Notice {
    /** The monitored slice the notification is about (cgroup path). */
    slice: string;
    /** Seconds until oomd is expected to act on it; null when no kill is expected any more. */
    secondsLeft: number | null;
    /** oomd's timer is running on the slice (avg10 above its limit). */
    timerRunning: boolean;
    /** Who oomd would stop, as the caller names it; null when unknown. */
    victim: string | null;
    title: string;
    body: string;
}

export type EpisodeOutput =
    | { kind: 'none' }
    | { kind: 'show'; notice: Notice }
    | { kind: 'update'; notice: Notice }
    /** The episode is over; `shown` tells whether a notification was shown (and should be withdrawn). */
    | { kind: 'end'; shown: boolean; updates: number }
    | { kind: 'killed'; time: number; victim: string; slice: string | null; title: string; body: string };

/** The predicted victim: one name for whichever slice, or per slice path. */
export type VictimLookup = string | null | ReadonlyMap<string, string | null>;

export interface EpisodeState {
    /** When the current episode opened; null between episodes. */
    openedAt: number | null;
    /** The notice currently shown; null when none is. */
    shown: Notice | null;
    /** How many times the shown notification was updated. */
    updates: number;
    /** Per slice: since when its projected kill has been within the lead window. */
    imminentSince: ReadonlyMap<string, number>;
    /** Since when every slice has been calm, while an episode is open. */
    calmSince: number | null;
    /** The last kill reported, to report each one once. */
    lastKill: { time: number; victim: string } | null;
}

export const INITIAL_EPISODE_STATE: EpisodeState = {
    openedAt: null, shown: null, updates: 0, imminentSince: new Map(), calmSince: null, lastKill: null,
};

/** Two reports of the same victim this close together are one kill (Killed signal and journal, say). */
const SAME_KILL_SEC = 5;

const NONE: EpisodeOutput = { kind: 'none' };

function imminent(s: SliceStatus, settings: EpisodeSettings): boolean {
    return !s.verdict?.over && s.projectedKillIn !== null && s.projectedKillIn <= settings.leadWindowSec;
}

function atWarning(s: SliceStatus, settings: EpisodeSettings): boolean {
    if (s.avg10 === null || s.verdict === null)
        return false;
    return s.verdict.over || imminent(s, settings) || s.avg10 >= settings.warnFraction * s.policy.limitPercent;
}

function victimOf(victims: VictimLookup | undefined, slice: string): string | null {
    if (victims === undefined || victims === null || typeof victims === 'string')
        return victims ?? null;
    return victims.get(slice) ?? null;
}

/** Seconds as the notification says them: exact up to 10 s, in steps of 5 s above, so the text (and the
 *  notification) changes about every 5 s rather than every second while the countdown is long. */
export function roundedSeconds(seconds: number): number {
    const n = Math.max(0, Math.ceil(seconds));
    return n <= 10 ? n : Math.ceil(n / 5) * 5;
}

export function noticeText(secondsLeft: number | null, victim: string | null): { title: string; body: string } {
    const title = _('Memory pressure');
    const who = victim ?? _('an app');
    if (secondsLeft === null)
        return { title, body: fill(_('Memory pressure is easing; systemd-oomd is not expected to stop %s now'), who) };
    const n = roundedSeconds(secondsLeft);
    if (n === 0)
        return { title, body: fill(_('systemd-oomd may stop %s now'), who) };
    return { title, body: fill(_('systemd-oomd will stop %s in %s'), who, formatSeconds(n)) };
}

export function killedText(victim: string): { title: string; body: string } {
    return {
        title: _('Memory pressure'),
        body: fill(_('systemd-oomd stopped %s to free memory'), victim),
    };
}

/** The slice the notification follows: over first (soonest action), then the soonest projected kill. */
function focus(slices: readonly SliceStatus[], settings: EpisodeSettings, previous: string | null): SliceStatus | null {
    const hot = slices.filter(s => s.verdict?.over === true || imminent(s, settings));
    let best: SliceStatus | null = null;
    const key = (s: SliceStatus): [number, number] => [s.verdict?.over ? 0 : 1, s.projectedKillIn ?? Infinity];
    for (const s of hot) {
        if (best === null) {
            best = s;
            continue;
        }
        const [ka, kb] = [key(s), key(best)];
        if (ka[0] < kb[0] || (ka[0] === kb[0] && ka[1] < kb[1]))
            best = s;
    }
    if (best !== null)
        return best;
    // Nothing hot any more: keep talking about the slice the notification was about.
    return slices.find(s => s.path === previous) ?? null;
}

function makeNotice(s: SliceStatus, victims: VictimLookup | undefined, settings: EpisodeSettings): Notice {
    const timerRunning = s.verdict?.over ?? false;
    const secondsLeft = timerRunning || imminent(s, settings) ? s.projectedKillIn ?? s.verdict?.secondsLeft ?? null : null;
    const victim = victimOf(victims, s.path);
    return { slice: s.path, secondsLeft, timerRunning, victim, ...noticeText(secondsLeft, victim) };
}

/** One step: the state after `snapshot` and what the notification should do. */
export function stepEpisode(
    state: EpisodeState,
    snapshot: Snapshot,
    settings: EpisodeSettings,
    victims?: VictimLookup,
): { state: EpisodeState; output: EpisodeOutput } {
    const time = snapshot.time;
    if (!settings.enabled) {
        const output: EpisodeOutput = state.openedAt !== null
            ? { kind: 'end', shown: state.shown !== null, updates: state.updates }
            : NONE;
        return { state: { ...INITIAL_EPISODE_STATE, lastKill: state.lastKill }, output };
    }

    const readable = snapshot.slices.filter(s => s.avg10 !== null && s.verdict !== null);
    const imminentSince = new Map<string, number>();
    for (const s of readable) {
        if (imminent(s, settings))
            imminentSince.set(s.path, state.imminentSince.get(s.path) ?? time);
    }
    const warning = readable.some(s => atWarning(s, settings));

    if (state.openedAt === null && !warning)
        return { state: { ...state, imminentSince }, output: NONE };

    const openedAt = state.openedAt ?? time;
    const calmSince = warning ? null : state.calmSince ?? time;
    if (calmSince !== null && time - calmSince >= settings.quietSec) {
        return {
            state: { ...INITIAL_EPISODE_STATE, lastKill: state.lastKill },
            output: { kind: 'end', shown: state.shown !== null, updates: state.updates },
        };
    }

    const next: EpisodeState = { ...state, openedAt, imminentSince, calmSince };
    if (state.shown === null) {
        const timer = readable.some(s => s.verdict?.over);
        const confirmed = [...imminentSince.values()].some(since => time - since >= settings.confirmSec);
        if (!timer && !confirmed)
            return { state: next, output: NONE };
        const s = focus(readable, settings, null);
        if (s === null)
            return { state: next, output: NONE };
        const notice = makeNotice(s, victims, settings);
        return { state: { ...next, shown: notice, updates: 0 }, output: { kind: 'show', notice } };
    }

    const s = focus(readable, settings, state.shown.slice);
    if (s === null)
        return { state: next, output: NONE };
    const notice = makeNotice(s, victims, settings);
    if (notice.slice === state.shown.slice && notice.title === state.shown.title && notice.body === state.shown.body)
        return { state: next, output: NONE };
    return { state: { ...next, shown: notice, updates: state.updates + 1 }, output: { kind: 'update', notice } };
}

/** A kill oomd reported: one 'killed' output per kill, whether or not a warning came first. */
export function noteKill(
    state: EpisodeState,
    time: number,
    victim: string,
    slice: string | null,
    settings: EpisodeSettings,
): { state: EpisodeState; output: EpisodeOutput } {
    if (!settings.enabled)
        return { state, output: NONE };
    const last = state.lastKill;
    if (last !== null && last.victim === victim && Math.abs(time - last.time) < SAME_KILL_SEC)
        return { state, output: NONE };
    return {
        state: { ...state, lastKill: { time, victim } },
        output: { kind: 'killed', time, victim, slice, ...killedText(victim) },
    };
}

/** The state machine with its state kept inside, for the extension and the replay. */
export class EpisodeTracker {
    private _state: EpisodeState = INITIAL_EPISODE_STATE;

    constructor(private _settings: EpisodeSettings = DEFAULT_EPISODE_SETTINGS) {}

    get settings(): EpisodeSettings {
        return this._settings;
    }

    set settings(settings: EpisodeSettings) {
        this._settings = settings;
    }

    get state(): EpisodeState {
        return this._state;
    }

    tick(snapshot: Snapshot, victims?: VictimLookup): EpisodeOutput {
        const { state, output } = stepEpisode(this._state, snapshot, this._settings, victims);
        this._state = state;
        return output;
    }

    noteKill(time: number, victim: string, slice: string | null = null): EpisodeOutput {
        const { state, output } = noteKill(this._state, time, victim, slice, this._settings);
        this._state = state;
        return output;
    }
}
