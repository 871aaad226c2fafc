// systemd-oomd's kills, read back from the journal (`journalctl -o json`: one JSON object per line).
//
// The notices oomd writes when it acts (src/oom/oomd-manager.c, log_notice):
//
//   v252–v259  Killed <victim> due to memory pressure for <monitored> being 83.12% > 80.00% for > 20s
//              with reclaim activity
//   v260+      Marked <victim> for killing due to memory pressure for <monitored> being … (same tail)
//   swap rule  Killed <victim> due to memory used (<n>) / total (<n>) and swap used (<n>) / total (<n>)
//              being more than 90.00%
//   v260+      Marked <victim> for killing due to memory used (…) … (same tail)
//
// The duration is the monitored cgroup's (v257+) or oomd's global default (v256 and older).
// From v260 there is no later "Killed" notice: "Marked" is the record of the kill (hooks may delay it).
// v261's rule actions ("Rule '%s' conditions met for cgroup %s …") are not read here.
//
// The journal is shared with every local user, so only entries that journald attributes to
// systemd-oomd.service count (see JOURNAL_ARGS). Anything else, and anything malformed or oversized,
// is skipped and counted, never thrown.

import { _, ngettext } from './i18n.js';
import { parseTimespanSec } from './oomd-dump.js';

export type OomdKillReason = 'memory-pressure' | 'memory-used';

export interface OomdKill {
    /** When journald received the notice, ms since the epoch. */
    time: number;
    /** The cgroup oomd killed (all its processes), e.g. `/user.slice/…/app.slice/app-…-4242.scope`. */
    victim: string;
    /** The monitored cgroup whose pressure crossed its limit; null for the swap rule. */
    monitored: string | null;
    /** Its `full avg10`, percent; null for the swap rule. */
    pressure: number | null;
    /** The pressure limit, or for the swap rule SwapUsedLimit, percent. */
    limit: number | null;
    /** How long pressure had been above the limit, seconds; null for the swap rule. */
    durationSec: number | null;
    reason: OomdKillReason;
}

export interface OomdKillsParse {
    kills: OomdKill[];
    /**
     * Entries that could not be used: lines that are not JSON objects, entries without a readable
     * MESSAGE or timestamp, entries not attributed to systemd-oomd, oversized ones, and kill notices
     * that do not parse. oomd's other messages ("Considered 12 cgroups for killing…", also when
     * journalctl replaced an overlong one by null) are not kills and are not counted.
     */
    skipped: number;
}

/** journald's trusted unit field for oomd's own messages. */
export const OOMD_UNIT = 'systemd-oomd.service';

/** Lines longer than this are skipped without parsing. */
export const JOURNAL_MAX_LINE = 64 * 1024;
/** journalctl prints fields of 4096 bytes and more as null without --all (JSON_THRESHOLD). */
const MAX_MESSAGE = 4096;

/**
 * The journalctl command line for the last `sinceDays` days of oomd notices, one JSON object a line.
 *
 * The match is `_SYSTEMD_UNIT=systemd-oomd.service`: fields starting with `_` are set by journald
 * from the sender's cgroup and cannot be forged, whereas any user can log with
 * `SYSLOG_IDENTIFIER=systemd-oomd` (`logger -t systemd-oomd …`, `systemd-cat -t`). oomd runs as
 * systemd-oomd.service everywhere (Fedora included). `-u systemd-oomd.service` is not used: it also
 * matches PID 1's messages about the unit (UNIT=, OBJECT_SYSTEMD_UNIT=, coredumps), which are noise.
 *
 * Reading the system journal takes membership of `systemd-journal`, `adm` or `wheel` (the journal
 * files' group and ACLs; on Fedora the administrator account made at installation is in `wheel`).
 * Without it journalctl reads only the user's own journal, where oomd never writes, and its hint
 * about that is silenced by --quiet: "no kills" may mean "not allowed to see them", which the I/O side
 * should tell apart (e.g. by the user's groups). `--output-fields` keeps the output small;
 * __REALTIME_TIMESTAMP is always printed in JSON mode and is named anyway.
 */
export function JOURNAL_ARGS(sinceDays: number): string[] {
    const days = Number.isFinite(sinceDays) ? Math.min(3650, Math.max(1, Math.ceil(sinceDays))) : 7;
    return [
        'journalctl',
        '--output=json',
        '--output-fields=MESSAGE,__REALTIME_TIMESTAMP,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER',
        `--since=-${days}d`,
        '--no-pager',
        '--quiet',
        `_SYSTEMD_UNIT=${OOMD_UNIT}`,
    ];
}

// ---- messages ------------------------------------------------------------------------------------------

// A cgroup path: absolute; no control characters (C0, DEL, C1, bidirectional overrides and isolates,
// line separators) and none of `<>&"'`, which no systemd unit, container or flatpak cgroup name
// contains and which would only serve to smuggle markup into the menu. Lazy, so the fixed text after
// it decides where it ends.
const PATH = '(/[^\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069<>&"\']*?)';
const PERCENT = '(\\d{1,10}\\.\\d{2})';
const HEAD = `^(?:Killed ${PATH}|Marked ${PATH} for killing)`;
const PRESSURE_RE = new RegExp(
    `${HEAD} due to memory pressure for ${PATH} being ${PERCENT}% > ${PERCENT}% for > (.+?) with reclaim activity$`);
const USED_RE = new RegExp(
    `${HEAD} due to memory used \\((\\d{1,20})\\) / total \\((\\d{1,20})\\) and swap used \\((\\d{1,20})\\) / ` +
    `total \\((\\d{1,20})\\) being more than (\\d{1,10}\\.\\d{2})%$`);

/** Whether a message is meant to be a kill notice (so a failure to parse it counts as skipped). */
function looksLikeKill(message: string): boolean {
    return (message.startsWith('Killed /') || message.startsWith('Marked /')) && message.includes(' due to memory ');
}

/**
 * Reads one oomd kill notice (the MESSAGE text). null when it is not one. The time is not part of
 * the message; parseOomdKills() adds it.
 */
export function parseOomdKillMessage(message: string): Omit<OomdKill, 'time'> | null {
    if (typeof message !== 'string' || message.length > MAX_MESSAGE || !looksLikeKill(message))
        return null;
    let m = PRESSURE_RE.exec(message);
    if (m) {
        const duration = parseTimespanSec(m[6] as string);
        return {
            victim: (m[1] ?? m[2]) as string,
            monitored: m[3] as string,
            pressure: Number(m[4]),
            limit: Number(m[5]),
            durationSec: duration !== null && Number.isFinite(duration) ? duration : null,
            reason: 'memory-pressure',
        };
    }
    m = USED_RE.exec(message);
    if (m) {
        return {
            victim: (m[1] ?? m[2]) as string,
            monitored: null,
            pressure: null,
            limit: Number(m[7]),
            durationSec: null,
            reason: 'memory-used',
        };
    }
    return null;
}

// ---- journal entries -----------------------------------------------------------------------------------

/**
 * UTF-8 bytes to text (journalctl sends fields that are not printable UTF-8 as byte arrays). Each
 * maximal ill-formed subsequence becomes one U+FFFD, as TextDecoder does (not available in every
 * runtime this code runs in).
 */
function decodeUtf8(bytes: readonly number[]): string {
    let out = '';
    let i = 0;
    while (i < bytes.length) {
        const b = bytes[i] as number;
        if (b < 0x80) {
            out += String.fromCharCode(b);
            i++;
            continue;
        }
        let need: number;
        let cp: number;
        let lo = 0x80;
        let hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
            cp = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            need = 2;
            cp = b & 0x0F;
            if (b === 0xE0)
                lo = 0xA0; // no overlong forms
            if (b === 0xED)
                hi = 0x9F; // no surrogates
        } else if (b >= 0xF0 && b <= 0xF4) {
            need = 3;
            cp = b & 0x07;
            if (b === 0xF0)
                lo = 0x90;
            if (b === 0xF4)
                hi = 0x8F; // nothing above U+10FFFF
        } else {
            out += '\uFFFD';
            i++;
            continue;
        }
        let j = 1;
        for (; j <= need; j++) {
            const c = bytes[i + j];
            if (c === undefined || c < lo || c > hi)
                break;
            cp = (cp << 6) | (c & 0x3F);
            lo = 0x80;
            hi = 0xBF;
        }
        if (j <= need) {
            out += '\uFFFD';
            i += j;
            continue;
        }
        out += String.fromCodePoint(cp);
        i += need + 1;
    }
    return out;
}

/** A journal field as journalctl prints it: a string, or an array of byte values; else null. */
function fieldText(value: unknown): string | null {
    if (typeof value === 'string')
        return value;
    if (Array.isArray(value) && value.length <= MAX_MESSAGE &&
        value.every(v => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255))
        return decodeUtf8(value as number[]);
    return null; // null (oversized), a repeated field (array of values), or anything else
}

/** The fields read from a journal entry; all are untrusted input until checked. */
interface JournalFields {
    MESSAGE?: unknown;
    __REALTIME_TIMESTAMP?: unknown;
    _SYSTEMD_UNIT?: unknown;
    SYSLOG_IDENTIFIER?: unknown;
}

function isOomdEntry(entry: JournalFields): boolean {
    if (entry._SYSTEMD_UNIT !== undefined)
        return entry._SYSTEMD_UNIT === OOMD_UNIT;
    // Without the trusted field (a journal exported or filtered elsewhere), fall back on the identifier.
    return entry.SYSLOG_IDENTIFIER === 'systemd-oomd';
}

/**
 * Reads oomd kills from `journalctl -o json` output. Entries are kept in input order (journalctl's
 * is chronological). Never throws.
 */
export function parseOomdKills(text: string): OomdKillsParse {
    const kills: OomdKill[] = [];
    let skipped = 0;
    if (typeof text !== 'string')
        return { kills, skipped };

    for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (line === '')
            continue;
        if (line.length > JOURNAL_MAX_LINE || !line.startsWith('{')) {
            skipped++;
            continue;
        }
        let entry: unknown;
        try {
            entry = JSON.parse(line);
        } catch {
            skipped++;
            continue;
        }
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
            skipped++;
            continue;
        }
        const fields = entry as JournalFields;
        if (fields.MESSAGE === null && isOomdEntry(fields))
            continue; // journalctl's placeholder for a field of 4 KiB or more: a long candidate list, not a kill
        const message = fieldText(fields.MESSAGE);
        const stamp = fields.__REALTIME_TIMESTAMP;
        const usec = typeof stamp === 'string' && /^\d{1,17}$/.test(stamp) ? Number(stamp) : NaN;
        if (message === null || !Number.isSafeInteger(usec) || !isOomdEntry(fields)) {
            skipped++;
            continue;
        }
        if (!looksLikeKill(message))
            continue; // one of oomd's other messages
        const kill = parseOomdKillMessage(message);
        if (!kill) {
            skipped++;
            continue;
        }
        kills.push({ time: Math.floor(usec / 1000), ...kill });
    }
    return { kills, skipped };
}

// ---- summary -------------------------------------------------------------------------------------------

export interface KillSummary {
    /** Kills in the window. */
    count: number;
    /** Per name, most kills first (then most recent first); times newest first, ms since the epoch. */
    byName: { name: string; count: number; times: number[] }[];
    /** "3 kills in 7 days — Jellyfin ×3", "No kills in 7 days". */
    text: string;
}

/** Names shown in the summary text before "…". */
const SUMMARY_NAMES = 3;

/**
 * Kills in the `days` before `now` (ms since the epoch), grouped by `nameOf(victim)` (e.g. the app
 * or unit a cgroup belongs to), for the menu.
 */
export function summarizeKills(
    kills: readonly OomdKill[],
    now: number,
    nameOf: (cgroup: string) => string,
    days = 7,
): KillSummary {
    const span = Number.isFinite(days) && days > 0 ? days : 7;
    const cutoff = now - span * 24 * 3600 * 1000;
    const groups = new Map<string, number[]>();
    let count = 0;
    for (const kill of kills) {
        if (!(kill.time >= cutoff))
            continue;
        count++;
        const name = nameOf(kill.victim) || kill.victim;
        const times = groups.get(name);
        if (times)
            times.push(kill.time);
        else
            groups.set(name, [kill.time]);
    }

    const byName = [...groups].map(([name, times]) => ({
        name,
        count: times.length,
        times: times.sort((a, b) => b - a),
    }));
    byName.sort((a, b) =>
        b.count - a.count || (b.times[0] as number) - (a.times[0] as number) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    const dayCount = Math.round(span);
    const inDays = ngettext('in %d day', 'in %d days', dayCount).replace('%d', () => String(dayCount));
    let text: string;
    if (count === 0) {
        text = ngettext('No kills in %d day', 'No kills in %d days', dayCount).replace('%d', () => String(dayCount));
    } else {
        const kills_ = ngettext('%d kill', '%d kills', count).replace('%d', () => String(count));
        const names = byName.slice(0, SUMMARY_NAMES).map(g => (g.count > 1 ? `${g.name} ×${g.count}` : g.name));
        if (byName.length > SUMMARY_NAMES)
            names.push('…');
        const parts = [kills_, inDays, names.join(', ')];
        let i = 0;
        // One pass, with a function, so that `$&` or `%s` in a name is taken literally.
        text = _('%s %s — %s').replace(/%s/g, () => parts[i++] ?? '');
    }
    return { count, byName, text };
}
