// After a kill: did systemd restart the service that held the killed cgroup? Pure decisions for
// src/sys/restart.ts, which reads the unit's state (ActiveState, SubState, NRestarts,
// ActiveEnterTimestampMonotonic) right after oomd's Killed signal and again for a bounded time.
//
//  * ownerUnit(): the unit to ask, the innermost unit in the cgroup path (none when that is a slice), and which
//    manager to ask (the user's own manager for units below user@UID.service, else PID 1).
//  * judgeRestart(): from the reads so far, the outcome or null (keep watching):
//
//    | latest read                                                   | outcome                        |
//    |---------------------------------------------------------------|--------------------------------|
//    | active, and NRestarts rose or it became active after the kill | restarted                      |
//    | failed/inactive, no restart scheduled, for `holdSec`          | stopped (will not restart)     |
//    | at the end of the window: failed/inactive                     | stopped                        |
//    | at the end: auto-restart pending, or restarted but not up yet | restarting                     |
//    | at the end: active, no sign of a restart                      | running (a part of it died)    |
//    | no read at all by the end                                     | unknown                        |
//
//    A restart may finish before the first read (RestartSec= is 100 ms by default): the unit's
//    ActiveEnterTimestampMonotonic after the kill still tells it. On a real systemd 257 (test/vm),
//    a service killed by oomd with Restart=always went failed/failed-before-auto-restart →
//    activating/auto-restart → auto-restart-queued → active/running within 0.3–1.9 s; the failed
//    state is visible (PropertiesChanged shows it), and its SubState says a restart follows.
//    `holdSec` is for restarts others make (OnFailure= units, podman).

import { _, fill } from './i18n.js';

export type ManagerKind = 'user' | 'system';

export interface OwnerUnit {
    /** The unit's name as it appears in the cgroup path, e.g. `jellyfin.service`. */
    unit: string;
    manager: ManagerKind;
    /** The killed cgroup is the unit's own, not a cgroup below it. */
    own: boolean;
}

const UNIT_COMPONENT = /\.(service|scope|socket|mount|swap|slice)$/;
const USER_MANAGER = /^user@\d+\.service$/;

/**
 * The unit owning a killed cgroup and the manager that runs it, or null when Headroom cannot ask:
 * no unit in the path, a cgroup directly in a slice, or a unit of another user's manager. `managerPath` is the user's own
 * `…/user@UID.service` cgroup.
 */
export function ownerUnit(cgroup: string, managerPath: string): OwnerUnit | null {
    const parts = cgroup.split('/').filter(p => p !== '');
    let at = -1;
    for (let i = parts.length - 1; i >= 0; i--) {
        if (UNIT_COMPONENT.test(parts[i] as string)) {
            at = i;
            break;
        }
    }
    if (at < 0)
        return null;
    const unit = parts[at] as string;
    if (unit.endsWith('.slice'))
        return null; // a slice's own processes, if any, belong to no unit that could restart
    const own = at === parts.length - 1;
    let managerAt = -1;
    for (let i = at - 1; i >= 0; i--) {
        if (USER_MANAGER.test(parts[i] as string)) {
            managerAt = i;
            break;
        }
    }
    if (managerAt < 0)
        return { unit, manager: 'system', own };
    const manager = `/${parts.slice(0, managerAt + 1).join('/')}`;
    return manager === managerPath ? { unit, manager: 'user', own } : null;
}

/** Only services restart (Restart=); scopes, sockets, mounts and swaps never do: not worth watching. */
export function restartable(unit: string): boolean {
    return unit.endsWith('.service');
}

/** One read of the unit. */
export interface UnitSample {
    /** When it was read, monotonic seconds. */
    time: number;
    activeState: string;
    subState: string;
    /** The service's NRestarts; null when it could not be read (systemd < 235). */
    nRestarts: number | null;
    /** ActiveEnterTimestampMonotonic in seconds; null when never active or unreadable. */
    activeEnter: number | null;
}

export type RestartOutcome = 'restarted' | 'restarting' | 'stopped' | 'running' | 'unknown';

export interface RestartSettings {
    /** How long after the kill the unit is watched. */
    windowSec: number;
    /** A service down for this long without a restart scheduled will not be restarted. */
    holdSec: number;
}

export const DEFAULT_RESTART_SETTINGS: RestartSettings = { windowSec: 60, holdSec: 5 };

/** The reads after a kill, in seconds from it: soon for the usual 100 ms RestartSec=, then sparser. */
export const READ_SCHEDULE_SEC: readonly number[] = [1, 3, 6, 10, 15, 20, 30, 40, 50, 60];

/** The Killed signal arrives a moment after the kill; a unit that became active after this is restarted. */
const KILL_SLACK_SEC = 1;

const up = (s: UnitSample) => s.activeState === 'active' || s.activeState === 'reloading';
const scheduled = (s: UnitSample) => s.subState.startsWith('auto-restart') || s.subState === 'failed-before-auto-restart';
const down = (s: UnitSample) => (s.activeState === 'failed' || s.activeState === 'inactive') && !scheduled(s);

/**
 * The outcome after a kill at `killTime` (monotonic seconds), from the reads of the unit so far,
 * oldest first (the first is the baseline), at `now`; null while it is too early to say.
 */
export function judgeRestart(killTime: number, samples: readonly UnitSample[], now: number,
    settings: RestartSettings = DEFAULT_RESTART_SETTINGS): RestartOutcome | null {
    const over = now - killTime >= settings.windowSec;
    const base = samples[0];
    const last = samples.at(-1);
    if (base === undefined || last === undefined)
        return over ? 'unknown' : null;

    const restartedBy = (s: UnitSample) =>
        (s.nRestarts !== null && base.nRestarts !== null && s.nRestarts > base.nRestarts) ||
        (s.activeEnter !== null && s.activeEnter > killTime - KILL_SLACK_SEC);
    if (up(last) && restartedBy(last))
        return 'restarted';

    if (down(last)) {
        let since = last.time;
        for (let i = samples.length - 1; i >= 0 && down(samples[i] as UnitSample); i--)
            since = (samples[i] as UnitSample).time;
        if (over || last.time - since >= settings.holdSec)
            return 'stopped';
    }
    if (!over)
        return null;
    if (scheduled(last) || (!up(last) && samples.some(s => scheduled(s) || restartedBy(s))))
        return 'restarting';
    return up(last) ? 'running' : 'unknown';
}

/**
 * The sentence added to the after-kill notification, or null when there is nothing worth saying: a
 * service still running after a part of it was killed may well be broken, and "kept running" would
 * reassure wrongly; an unknown outcome says nothing. The unit's name is shown as systemd spells it.
 */
export function restartSentence(outcome: RestartOutcome, unit: string): string | null {
    // A function as the replacement: a `$&` in a unit name is text, not a pattern.
    switch (outcome) {
    case 'restarted':
        // Translators: %s is a systemd unit's name, e.g. jellyfin.service.
        return fill(_('systemd restarted %s'), unit);
    case 'restarting':
        // Translators: %s is a systemd unit's name, e.g. jellyfin.service.
        return fill(_('systemd is restarting %s'), unit);
    case 'stopped':
        // Translators: %s is a systemd unit's name, e.g. jellyfin.service.
        return fill(_('systemd will not restart %s'), unit);
    default:
        return null;
    }
}

/**
 * The after-kill body with the restart news after it. One run of text: the shell's message list turns
 * line breaks into spaces, so the two sentences are joined as sentences.
 */
export function withRestart(body: string, sentence: string | null): string {
    // Translators: two sentences in a row, the news of a kill and then of a restart.
    return sentence === null ? body : fill(_('%s. %s'), body, sentence);
}
