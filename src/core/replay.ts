// Replaying recorded (or synthetic) pressure through the real engine, the episode machine and the victim
// rule: the pure half of `gjs -m dist/cli.js --replay FILE.jsonl`.
//
// Replay format (JSON Lines, UTF-8):
//
//   One JSON object per line, per cgroup, per sample (normally once a second):
//
//     {"t": 12, "cgroup": "/user.slice/user-1000.slice/user@1000.service/app.slice",
//      "full_avg10": 62.4, "full_total": 161000000, "pgscan": 48213377, "memory_current": 12671000000}
//
//   t               seconds (monotonic; any origin, fractions allowed); lines with the same t form one sample
//   cgroup          path below the cgroup root, starting with '/'
//   full_avg10      the `full avg10` of the cgroup's memory.pressure, percent (0..100)
//   full_total      the `full total` of memory.pressure, microseconds (an integer)
//   pgscan          cumulative `pgscan` of memory.stat
//   memory_current  memory.current, bytes
//   killed          optional, `true`: systemd-oomd killed this cgroup at t (its Killed signal or log line).
//                   On a marker line the four numbers may be left out; then the line is only a marker.
//   oom_group       optional, `true` when memory.oom.group is 1 (default false)
//   preference      optional, "none" | "avoid" | "omit": the cgroup's ManagedOOMPreference xattr (default "none")
//   owner_uid       optional, the owner of the cgroup directory (default 1000, the session's user)
//
//   Monitored slices and the cgroups below them appear side by side; which cgroups systemd-oomd monitors
//   is up to the reader (by default every path ending in `.slice`), as is their policy (default Fedora's
//   80 % / 20 s). A cgroup with no other cgroup below it in the same sample is a leaf. Blank lines and
//   lines starting with '#' are skipped. Unknown keys are ignored. Lines need not be sorted by t.
//
// What the replay prints, one line per event:
//   amber           the first sample of an episode at the warning level
//   warning         the pre-kill notification is shown (with when the episode turned amber)
//   timer-start     a monitored slice's full avg10 went above its limit: oomd's timer starts
//   timer-reset     it fell back to or below the limit without a kill in between: the timer resets
//   predicted-kill  the v257 rule says oomd acts now, with the victim Headroom predicts
//   killed          the file's `killed` marker: what oomd actually did (and whether the prediction matched)
//   end             the episode is over (every slice calm for a minute)

import { PressureEngine, type CgroupReading, type Snapshot } from './engine.js';
import type { CgroupEntry, OomdPreference } from './cgroup-entry.js';
import { DEFAULT_EPISODE_SETTINGS, EpisodeTracker, type EpisodeSettings } from './episode.js';
import { unescapeUnitName } from './format.js';
import { DEFAULT_LEVEL_SETTINGS, type LevelSettings } from './level.js';
import { FEDORA_POLICY, type OomdPolicy } from './oomd.js';
import type { PsiLine } from './psi.js';
import { ok } from './result.js';
import { isBelow, pickVictim } from './victim.js';

export interface ReplayRecord {
    t: number;
    cgroup: string;
    full_avg10?: number;
    full_total?: number;
    pgscan?: number;
    memory_current?: number;
    killed?: true;
    oom_group?: boolean;
    preference?: OomdPreference;
    owner_uid?: number;
}

/** A record that carries readings (not only a `killed` marker). */
type Reading = ReplayRecord & Required<Pick<ReplayRecord, 'full_avg10' | 'full_total' | 'pgscan' | 'memory_current'>>;

export interface ReplayError {
    /** 1-based line number. */
    line: number;
    message: string;
}

export const DEFAULT_OWNER_UID = 1000;

const NUMBERS = ['full_avg10', 'full_total', 'pgscan', 'memory_current'] as const;

function isReading(r: ReplayRecord): r is Reading {
    return NUMBERS.every(k => r[k] !== undefined);
}

/** Parses replay text. Bad lines are reported with their line number and left out; nothing throws. */
export function parseReplay(text: string): { records: ReplayRecord[]; errors: ReplayError[] } {
    const records: ReplayRecord[] = [];
    const errors: ReplayError[] = [];
    const seen = new Set<string>();
    text.split('\n').forEach((raw, i) => {
        const line = i + 1;
        const trimmed = raw.trim();
        if (trimmed === '' || trimmed.startsWith('#'))
            return;
        let value: unknown;
        try {
            value = JSON.parse(trimmed);
        } catch {
            errors.push({ line, message: 'not valid JSON' });
            return;
        }
        const checked = checkRecord(value);
        if (typeof checked === 'string') {
            errors.push({ line, message: checked });
            return;
        }
        const key = `${checked.t}\u0000${checked.cgroup}\u0000${isReading(checked) ? 'r' : 'm'}`;
        if (seen.has(key)) {
            errors.push({ line, message: `${checked.cgroup} appears twice at t=${checked.t}` });
            return;
        }
        seen.add(key);
        records.push(checked);
    });
    return { records, errors };
}

function checkRecord(value: unknown): ReplayRecord | string {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
        return 'not a JSON object';
    const o = value as Record<string, unknown>;
    const t = o.t;
    if (typeof t !== 'number' || !Number.isFinite(t))
        return '"t" must be a number (seconds)';
    const cgroup = o.cgroup;
    if (typeof cgroup !== 'string' || !cgroup.startsWith('/'))
        return '"cgroup" must be a path starting with /';
    const record: ReplayRecord = { t, cgroup };

    if (o.killed !== undefined) {
        if (o.killed !== true)
            return '"killed" must be true when present';
        record.killed = true;
    }
    const present = NUMBERS.filter(k => o[k] !== undefined);
    if (present.length < NUMBERS.length && !(record.killed && present.length === 0)) {
        const missing = NUMBERS.filter(k => o[k] === undefined);
        return `missing ${missing.map(k => `"${k}"`).join(', ')}`;
    }
    for (const k of present) {
        const v = o[k];
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
            return `"${k}" must be a number ≥ 0`;
        if (k !== 'full_avg10' && !Number.isSafeInteger(v))
            return `"${k}" must be an integer`;
        if (k === 'full_avg10' && v > 100)
            return '"full_avg10" must be at most 100';
        record[k] = v;
    }
    if (o.oom_group !== undefined) {
        if (typeof o.oom_group !== 'boolean')
            return '"oom_group" must be true or false';
        record.oom_group = o.oom_group;
    }
    if (o.preference !== undefined) {
        if (o.preference !== 'none' && o.preference !== 'avoid' && o.preference !== 'omit')
            return '"preference" must be "none", "avoid" or "omit"';
        record.preference = o.preference;
    }
    if (o.owner_uid !== undefined) {
        if (typeof o.owner_uid !== 'number' || !Number.isSafeInteger(o.owner_uid) || o.owner_uid < 0)
            return '"owner_uid" must be an integer ≥ 0';
        record.owner_uid = o.owner_uid;
    }
    return record;
}

/** One record as a replay line, keys in the documented order. */
export function formatReplayRecord(r: ReplayRecord): string {
    const o: Record<string, unknown> = { t: r.t, cgroup: r.cgroup };
    for (const k of NUMBERS) {
        if (r[k] !== undefined)
            o[k] = r[k];
    }
    if (r.killed)
        o.killed = true;
    if (r.oom_group !== undefined)
        o.oom_group = r.oom_group;
    if (r.preference !== undefined)
        o.preference = r.preference;
    if (r.owner_uid !== undefined)
        o.owner_uid = r.owner_uid;
    return JSON.stringify(o);
}

export function formatReplay(records: readonly ReplayRecord[]): string {
    return records.map(r => `${formatReplayRecord(r)}\n`).join('');
}

export type ReplayEvent =
    | { kind: 'amber'; time: number; slice: string }
    | { kind: 'warning'; time: number; slice: string; amberAt: number; secondsLeft: number | null; victim: string | null; body: string }
    | { kind: 'timer-start'; time: number; slice: string; avg10: number; limitPercent: number }
    | { kind: 'timer-reset'; time: number; slice: string; avg10: number; limitPercent: number }
    | { kind: 'predicted-kill'; time: number; slice: string; avg10: number; victim: string | null }
    | { kind: 'killed'; time: number; cgroup: string; slice: string | null; predicted: string | null; notified: boolean }
    | { kind: 'end'; time: number; shown: boolean; updates: number };

export interface ReplayOptions {
    /** The cgroups oomd monitors: a list of paths or a test; default every path ending in `.slice`. */
    monitored?: readonly string[] | ((path: string) => boolean);
    /** oomd's policy for a monitored cgroup; default Fedora's 80 % / 20 s. */
    policy?: OomdPolicy | ((path: string) => OomdPolicy);
    /** The engine's level settings; default DEFAULT_LEVEL_SETTINGS with the episode's lead window. */
    level?: LevelSettings;
    episode?: EpisodeSettings;
    /**
     * Assume oomd acts at every predicted kill (it starts its 15 s post-action delay at every attempt,
     * v257), so a sustained stall predicts a kill every 15 s as oomd would. Default true. A `killed`
     * marker always counts as an action.
     */
    assumeOomdActs?: boolean;
}

function monitoredTest(opt: ReplayOptions['monitored']): (path: string) => boolean {
    if (opt === undefined)
        return path => path.endsWith('.slice');
    if (typeof opt === 'function')
        return opt;
    const set = new Set(opt);
    return path => set.has(path);
}

function policyOf(opt: ReplayOptions['policy'], path: string): OomdPolicy {
    if (opt === undefined)
        return FEDORA_POLICY;
    return typeof opt === 'function' ? opt(path) : opt;
}

/** A cgroup's last path component, unescaped: how events and notices name it. */
export function shortName(path: string): string {
    return unescapeUnitName(path.split('/').filter(p => p !== '').at(-1) ?? path);
}

function entriesOf(readings: readonly Reading[]): CgroupEntry[] {
    return readings.map(r => ({
        path: r.cgroup,
        leaf: !readings.some(o => isBelow(o.cgroup, r.cgroup)),
        memoryCurrent: r.memory_current,
        anon: null,
        file: null,
        pgscan: r.pgscan,
        oomGroup: r.oom_group ?? false,
        preference: r.preference ?? 'none',
        ownerUid: r.owner_uid ?? DEFAULT_OWNER_UID,
        frozen: null,
        populated: null,
        commands: [],
    }));
}

function line(avg10: number, total: number): PsiLine {
    return { avg10, avg60: 0, avg300: 0, total };
}

/** Groups records into samples by t, in time order. */
export function groupByTime(records: readonly ReplayRecord[]): { time: number; records: ReplayRecord[] }[] {
    const byTime = new Map<number, ReplayRecord[]>();
    for (const r of records) {
        const list = byTime.get(r.t);
        if (list)
            list.push(r);
        else
            byTime.set(r.t, [r]);
    }
    return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([time, rs]) => ({ time, records: rs }));
}

/**
 * Runs the records through the real PressureEngine, the episode machine and the victim rule, and returns
 * what happened, in time order.
 */
export function runReplay(records: readonly ReplayRecord[], opts: ReplayOptions = {}): ReplayEvent[] {
    const isMonitored = monitoredTest(opts.monitored);
    const episodeSettings = opts.episode ?? DEFAULT_EPISODE_SETTINGS;
    const engine = new PressureEngine(opts.level ?? { ...DEFAULT_LEVEL_SETTINGS, leadWindowSec: episodeSettings.leadWindowSec });
    const episode = new EpisodeTracker(episodeSettings);
    const assumeActs = opts.assumeOomdActs ?? true;

    const events: ReplayEvent[] = [];
    const wasOver = new Map<string, boolean>();
    const wouldActBefore = new Map<string, boolean>();
    let previousPgscan = new Map<string, number>();
    let amberAt: number | null = null;

    for (const { time, records: group } of groupByTime(records)) {
        const readings = group.filter(isReading);
        const monitored = readings.filter(r => isMonitored(r.cgroup));
        const readingsIn: CgroupReading[] = monitored.map(r => ({
            path: r.cgroup,
            policy: policyOf(opts.policy, r.cgroup),
            psi: ok({ some: line(r.full_avg10, r.full_total), full: line(r.full_avg10, r.full_total) }),
            pgscan: r.pgscan,
        }));
        const snapshot: Snapshot = engine.update({ time, readings: readingsIn });

        const entries = entriesOf(readings);
        const victims = new Map<string, string | null>();
        for (const m of monitored) {
            const owner = m.owner_uid ?? DEFAULT_OWNER_UID;
            victims.set(m.cgroup, pickVictim(m.cgroup, entries, previousPgscan, owner)?.entry.path ?? null);
        }
        previousPgscan = new Map(readings.map(r => [r.cgroup, r.pgscan]));

        // oomd's timer on each slice.
        for (const s of snapshot.slices) {
            if (s.avg10 === null || s.verdict === null)
                continue;
            const over = s.verdict.over;
            const before = wasOver.get(s.path) ?? false;
            if (over && !before)
                events.push({ kind: 'timer-start', time, slice: s.path, avg10: s.avg10, limitPercent: s.policy.limitPercent });
            else if (!over && before)
                events.push({ kind: 'timer-reset', time, slice: s.path, avg10: s.avg10, limitPercent: s.policy.limitPercent });
            wasOver.set(s.path, over);
        }
        for (const path of [...wasOver.keys()]) {
            if (!snapshot.slices.some(s => s.path === path))
                wasOver.delete(path);
        }

        // The notification.
        const names = new Map([...victims].map(([slice, v]) => [slice, v === null ? null : shortName(v)]));
        const wasOpen = episode.state.openedAt !== null;
        const out = episode.tick(snapshot, names);
        if (!wasOpen && episode.state.openedAt !== null) {
            amberAt = time;
            const first = snapshot.worst?.path ?? snapshot.slices[0]?.path ?? '';
            events.push({ kind: 'amber', time, slice: first });
        }
        if (out.kind === 'show') {
            events.push({
                kind: 'warning', time, slice: out.notice.slice, amberAt: amberAt ?? time,
                secondsLeft: out.notice.secondsLeft, victim: out.notice.victim, body: out.notice.body,
            });
        }

        // oomd acting, as the rule predicts: at most one kill per tick, on the longest-running target.
        const acting = snapshot.slices
            .filter(s => s.verdict?.wouldAct === true && !(wouldActBefore.get(s.path) ?? false))
            .sort((a, b) => (b.verdict?.overFor ?? 0) - (a.verdict?.overFor ?? 0) || a.path.localeCompare(b.path));
        for (const s of assumeActs ? acting.slice(0, 1) : acting) {
            events.push({ kind: 'predicted-kill', time, slice: s.path, avg10: s.avg10 ?? 0, victim: victims.get(s.path) ?? null });
        }
        if (assumeActs && acting.length > 0)
            engine.noteAction(time);
        for (const s of snapshot.slices)
            wouldActBefore.set(s.path, s.verdict?.wouldAct === true);

        // What oomd actually did.
        for (const k of group.filter(r => r.killed)) {
            const slices = monitored.map(m => m.cgroup).filter(p => isBelow(k.cgroup, p) || p === k.cgroup);
            const over = slices.filter(p => snapshot.slices.find(s => s.path === p)?.verdict?.over);
            const slice = (over.length > 0 ? over : slices).sort((a, b) => b.length - a.length)[0] ?? null;
            const predicted = slice === null ? null : victims.get(slice) ?? null;
            engine.noteAction(time);
            const notified = episode.noteKill(time, shortName(k.cgroup), slice).kind === 'killed';
            events.push({ kind: 'killed', time, cgroup: k.cgroup, slice, predicted, notified });
        }

        if (out.kind === 'end') {
            events.push({ kind: 'end', time, shown: out.shown, updates: out.updates });
            amberAt = null;
        }
    }
    return events;
}

function clock(t: number): string {
    return `${t.toFixed(1)} s`.padStart(8);
}

function percent(v: number): string {
    return `${v.toFixed(2)}%`;
}

/** One line per event, for people and for tests; stable. */
export function formatReplayEvent(e: ReplayEvent): string {
    const head = `${clock(e.time)}  ${e.kind.padEnd(14)}`;
    switch (e.kind) {
    case 'amber':
        return `${head}  ${shortName(e.slice)}: pressure at the warning level`;
    case 'warning':
        return `${head}  ${shortName(e.slice)}: "${e.body}" (amber since ${e.amberAt.toFixed(1)} s)`;
    case 'timer-start':
        return `${head}  ${shortName(e.slice)}: full avg10 ${percent(e.avg10)} > ${percent(e.limitPercent)}, oomd's timer starts`;
    case 'timer-reset':
        return `${head}  ${shortName(e.slice)}: full avg10 ${percent(e.avg10)} ≤ ${percent(e.limitPercent)}, oomd's timer resets`;
    case 'predicted-kill':
        return `${head}  ${shortName(e.slice)}: oomd would stop ${e.victim === null ? 'nothing (no candidate)' : shortName(e.victim)} (full avg10 ${percent(e.avg10)})`;
    case 'killed': {
        const where = e.slice === null ? '' : ` in ${shortName(e.slice)}`;
        const check = e.predicted === null ? 'no prediction'
            : e.predicted === e.cgroup ? 'as predicted' : `predicted ${shortName(e.predicted)}`;
        return `${head}  oomd stopped ${shortName(e.cgroup)}${where} (${check})`;
    }
    case 'end':
        return `${head}  episode over (${e.shown ? `notified, ${e.updates} update${e.updates === 1 ? '' : 's'}` : 'no notification'})`;
    }
}
