// Parser for the text of `oomctl dump`, which is what org.freedesktop.oom1.Manager.DumpByFileDescriptor
// writes into its memfd (src/oom/oomd-manager.c manager_get_dump_string, oomd-util.c oomd_dump_*):
//
//   Dry Run: no
//   Swap Used Limit: 90.00%
//   Default Memory Pressure Limit: 60.00%
//   Default Memory Pressure Duration: 20s
//   System Context:
//   <TAB>Memory: Used: 14.1G, Total: 15.3G
//   <TAB>Swap: Used: 7.6G, Total: 8.0G
//   Swap Monitored CGroups:
//   <TAB>Path: /some.slice
//   <TAB><TAB>Swap Usage: 1.2G
//   Memory Pressure Monitored CGroups:
//   <TAB>Path: /user.slice/user-1000.slice/user@1000.service/app.slice
//   <TAB><TAB>Memory Pressure Limit: 80.00%
//   <TAB><TAB>Memory Pressure Duration: 20s                  (v257+; older dumps use the default)
//   <TAB><TAB>Pressure: Avg10: 62.40, Avg60: 31.05, Avg300: 9.77, Total: 2min 41s   (commas from v257)
//   <TAB><TAB>Current Memory Usage: 11.8G
//   <TAB><TAB>Memory Min: 0B                                   (these four lines are absent for "/")
//   <TAB><TAB>Memory Low: 0B
//   <TAB><TAB>Pgscan: 48213377
//   <TAB><TAB>Last Pgscan: 48190102
//
// Percentages are printed `%lu.%02lu%%`, sizes with FORMAT_BYTES (IEC, one truncated decimal: `8.0G`,
// `11.8G`, `512B`), times with FORMAT_TIMESPAN at one-second accuracy (`20s`, `2min 41s`, `0`).
// v260+ sorts the cgroups by path; v257 prints them in hash order. Nothing here depends on the order.
//
// Every line oomd writes ends in a newline, so a text that does not is cut short: its last line is
// not trusted (a cut "Pgscan: 4821" looks valid) and is dropped, and `truncated` says so. A cgroup
// block that stops before its limit and its duration or pressure line is dropped too. Lines this
// parser does not know are skipped, so later versions may add fields; a known line with a value it
// cannot read is a failure.

import type { OomdPolicy } from './oomd.js';
import { fail, ok, type Result } from './result.js';

export interface OomdSystemContext {
    /** Bytes, as oomd rounded them (FORMAT_BYTES keeps one decimal of the unit, truncated). */
    memoryUsed: number | null;
    memoryTotal: number | null;
    swapUsed: number | null;
    swapTotal: number | null;
}

export interface OomdDumpCgroup {
    /** cgroup path relative to the cgroup2 mount, e.g. `/system.slice`; `/` for the root. */
    path: string;
    /** The limit on `full avg10` that oomd applies to this cgroup, percent. */
    limitPercent: number;
    /** How long avg10 must stay above the limit, seconds; the dump's default where the cgroup has no line. */
    durationSec: number | null;
    /** True when durationSec is the dump's default (v256 and older print no per-cgroup duration). */
    durationIsDefault: boolean;
    /** `full` pressure averages, percent; null when the line is missing (cut-off dump). */
    avg10: number | null;
    avg60: number | null;
    avg300: number | null;
    /** Cumulative `full` stall time, seconds (printed at one-second accuracy). */
    pressureTotalSec: number | null;
    /** Bytes (memory.current; for `/` the used memory from /proc/meminfo). */
    memoryCurrent?: number;
    /** Bytes; Infinity for `infinity` (memory.min/low = max). */
    memoryMin?: number;
    memoryLow?: number;
    /** Cumulative pgscan of memory.stat, and its value at oomd's previous check. */
    pgscan?: number;
    lastPgscan?: number;
}

export interface OomdDump {
    dryRun: boolean;
    /** Header values; null only when a cut-off dump lacks the line. */
    swapUsedLimitPercent: number | null;
    defaultLimitPercent: number | null;
    defaultDurationSec: number | null;
    system: OomdSystemContext | null;
    /** Cgroups watched for memory pressure (ManagedOOMMemoryPressure=kill). */
    pressureCgroups: OomdDumpCgroup[];
    /** Cgroups watched for swap use (ManagedOOMSwap=kill). */
    swapCgroups: string[];
    /** The text was cut short: no final newline, no pressure section, or an incomplete last block. */
    truncated: boolean;
}

// ---- systemd value formats, exported for the configuration and journal parsers -----------------

const USEC_PER_SEC = 1_000_000;
const USEC_PER_MINUTE = 60 * USEC_PER_SEC;
const USEC_PER_HOUR = 60 * USEC_PER_MINUTE;
const USEC_PER_DAY = 24 * USEC_PER_HOUR;
const USEC_PER_WEEK = 7 * USEC_PER_DAY;
const USEC_PER_MONTH = 2_629_800 * USEC_PER_SEC;
const USEC_PER_YEAR = 31_557_600 * USEC_PER_SEC;
const USEC_INFINITY = 2 ** 64 - 1; // not exact as a double; used as a bound only

// extract_multiplier() of src/basic/time-util.c, in its order: the first prefix that matches wins,
// so "ms" is tried before "m" and "min" before "m".
const TIME_UNITS: readonly (readonly [string, number])[] = [
    ['seconds', USEC_PER_SEC], ['second', USEC_PER_SEC], ['sec', USEC_PER_SEC], ['s', USEC_PER_SEC],
    ['minutes', USEC_PER_MINUTE], ['minute', USEC_PER_MINUTE], ['min', USEC_PER_MINUTE],
    ['months', USEC_PER_MONTH], ['month', USEC_PER_MONTH], ['M', USEC_PER_MONTH],
    ['msec', 1000], ['ms', 1000], ['m', USEC_PER_MINUTE],
    ['hours', USEC_PER_HOUR], ['hour', USEC_PER_HOUR], ['hr', USEC_PER_HOUR], ['h', USEC_PER_HOUR],
    ['days', USEC_PER_DAY], ['day', USEC_PER_DAY], ['d', USEC_PER_DAY],
    ['weeks', USEC_PER_WEEK], ['week', USEC_PER_WEEK], ['w', USEC_PER_WEEK],
    ['years', USEC_PER_YEAR], ['year', USEC_PER_YEAR], ['y', USEC_PER_YEAR],
    ['usec', 1], ['us', 1], ['µs', 1], ['μs', 1],
];

const WHITESPACE = ' \t\n\r';

function skipWhitespace(s: string, i: number): number {
    while (i < s.length && WHITESPACE.includes(s.charAt(i)))
        i++;
    return i;
}

function isDigit(c: string): boolean {
    return c >= '0' && c <= '9';
}

/**
 * Reads a systemd time span the way parse_sec() does: `20s`, `1min 30s`, `2min 41s`, `500ms`, `1h`,
 * `1.5h`, `5 min`, a bare number (seconds), `0`, `infinity` (→ Infinity). Returns seconds (possibly
 * fractional), or null when the text is not a time span.
 */
export function parseTimespanSec(text: string): number | null {
    if (typeof text !== 'string' || text.length > 256)
        return null;
    let i = skipWhitespace(text, 0);
    if (text.startsWith('infinity', i))
        return skipWhitespace(text, i + 8) === text.length ? Infinity : null;

    let usec = 0;
    let something = false;
    for (;;) {
        i = skipWhitespace(text, i);
        if (i === text.length)
            return something ? usec / USEC_PER_SEC : null;

        const intStart = i;
        while (i < text.length && isDigit(text.charAt(i)))
            i++;
        const intDigits = text.slice(intStart, i);
        let fracDigits: string | null = null;
        if (text.charAt(i) === '.') {
            const fracStart = i + 1;
            i = fracStart;
            while (i < text.length && isDigit(text.charAt(i)))
                i++;
            fracDigits = text.slice(fracStart, i);
            if (fracDigits === '')
                return null; // "3.", "3.sec"
        } else if (intDigits === '') {
            return null; // no number here ("-5s", "x", "+5")
        }

        const unitStart = skipWhitespace(text, i);
        let multiplier = USEC_PER_SEC;
        let next = unitStart;
        for (const [suffix, usecPer] of TIME_UNITS) {
            if (text.startsWith(suffix, unitStart)) {
                multiplier = usecPer;
                next = unitStart + suffix.length;
                break;
            }
        }
        if (next === i && i < text.length)
            return null; // "12.34.56": neither a unit nor a space follows the number

        const whole = intDigits === '' ? 0 : Number(intDigits);
        usec += whole * multiplier;
        if (fracDigits !== null) {
            let m = Math.floor(multiplier / 10);
            for (const d of fracDigits) {
                usec += Number(d) * m;
                m = Math.floor(m / 10);
            }
        }
        if (!(usec < USEC_INFINITY))
            return null;
        something = true;
        i = next;
    }
}

const BYTE_FACTORS: Readonly<Record<string, number>> = {
    K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5, E: 1024 ** 6,
};

/**
 * Reads a size printed by systemd's FORMAT_BYTES (IEC units, one decimal): `0B`, `512B`, `8.0G`,
 * `11.8G`, `450.5M`, also `8G`. The decimal was truncated, so the result is a lower bound within a
 * tenth of the unit. Returns bytes, or null when the text is not such a size.
 */
export function parseBytes(text: string): number | null {
    if (typeof text !== 'string')
        return null;
    const plain = /^(\d{1,20})B$/.exec(text);
    if (plain)
        return Number(plain[1]);
    const m = /^(\d{1,20})(?:\.(\d))?([KMGTPE])$/.exec(text);
    if (!m)
        return null;
    const factor = BYTE_FACTORS[m[3] as string] as number;
    return Number(m[1]) * factor + Math.floor((Number(m[2] ?? '0') * factor) / 10);
}

/** `80.00%` as oomd prints loadavg and permyriad values (`%lu.%02lu%%`), to a number of percent. */
function parsePercent2(text: string): number | null {
    const m = /^(\d{1,10}\.\d{2})%$/.exec(text);
    return m ? Number(m[1]) : null;
}

function parseAvg(text: string): number | null {
    return /^\d{1,10}\.\d{2}$/.test(text) ? Number(text) : null;
}

// ---- the dump ------------------------------------------------------------------------------------

type Section = 'header' | 'system' | 'swap' | 'pressure';

interface Block {
    path: string;
    limitPercent: number | null;
    ownDurationSec: number | null;
    hasPressure: boolean;
    avg10: number | null;
    avg60: number | null;
    avg300: number | null;
    pressureTotalSec: number | null;
    extra: Pick<OomdDumpCgroup, 'memoryCurrent' | 'memoryMin' | 'memoryLow' | 'pgscan' | 'lastPgscan'>;
}

const PRESSURE_LINE =
    /^Pressure: Avg10: (\S+?),? Avg60: (\S+?),? Avg300: (\S+?),? Total: (.*)$/;
const SYSTEM_LINE = /^(Memory|Swap): Used: (\S+?),? Total: (\S+)$/;

function show(line: string): string {
    // eslint-disable-next-line no-control-regex
    const clean = line.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
    return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}

/** Parses `oomctl dump` text. Never throws. */
export function parseOomdDump(text: string): Result<OomdDump> {
    if (typeof text !== 'string' || text.trim() === '')
        return fail('empty', 'the oomd dump is empty');

    const lines = text.split('\n');
    // The piece after the last newline is either '' or a line cut short.
    const cut = lines.pop() !== '';

    let dryRun: boolean | null = null;
    let swapUsedLimitPercent: number | null = null;
    let defaultLimitPercent: number | null = null;
    let defaultDurationSec: number | null = null;
    let system: OomdSystemContext | null = null;
    const swapCgroups: string[] = [];
    const blocks: Block[] = [];
    let sawPressureSection = false;
    let section: Section = 'header';
    let current: Block | null = null;

    const malformed = (line: string, what: string) =>
        fail('malformed', `the oomd dump has ${what}: ${show(line)}`);

    for (const raw of lines) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        const content = line.replace(/^[\t ]+/, '');
        if (content === '')
            continue;

        if (dryRun === null) {
            const m = /^Dry Run: (yes|no)$/.exec(content);
            if (!m)
                return fail('not-a-dump', `this is not systemd-oomd dump output: ${show(content)}`);
            dryRun = m[1] === 'yes';
            continue;
        }

        // Section headers and header values.
        if (content === 'System Context:') {
            section = 'system';
            system ??= { memoryUsed: null, memoryTotal: null, swapUsed: null, swapTotal: null };
            continue;
        }
        if (content === 'Swap Monitored CGroups:') {
            section = 'swap';
            continue;
        }
        if (content === 'Memory Pressure Monitored CGroups:') {
            section = 'pressure';
            sawPressureSection = true;
            continue;
        }
        const colon = content.indexOf(': ');
        const key = colon < 0 ? content : content.slice(0, colon);
        const value = colon < 0 ? '' : content.slice(colon + 2);

        if (section === 'header') {
            if (key === 'Swap Used Limit' || key === 'Default Memory Pressure Limit') {
                const p = parsePercent2(value);
                if (p === null)
                    return malformed(content, 'an unreadable percentage');
                if (key === 'Swap Used Limit')
                    swapUsedLimitPercent = p;
                else
                    defaultLimitPercent = p;
            } else if (key === 'Default Memory Pressure Duration') {
                const d = parseTimespanSec(value);
                if (d === null || !Number.isFinite(d))
                    return malformed(content, 'an unreadable duration');
                defaultDurationSec = d;
            }
            continue;
        }

        if (section === 'system' && system) {
            const m = SYSTEM_LINE.exec(content);
            if (!m && (key === 'Memory' || key === 'Swap'))
                return malformed(content, 'an unreadable memory line');
            if (m) {
                const used = parseBytesOrNull(m[2] as string);
                const total = parseBytesOrNull(m[3] as string);
                if (used === undefined || total === undefined)
                    return malformed(content, 'an unreadable size');
                if (m[1] === 'Memory') {
                    system.memoryUsed = used;
                    system.memoryTotal = total;
                } else {
                    system.swapUsed = used;
                    system.swapTotal = total;
                }
            }
            continue;
        }

        if (section === 'swap') {
            if (key === 'Path') {
                if (!value.startsWith('/'))
                    return malformed(content, 'a cgroup path that does not start with "/"');
                swapCgroups.push(value);
            }
            continue;
        }

        if (section !== 'pressure')
            continue;

        if (key === 'Path') {
            if (!value.startsWith('/'))
                return malformed(content, 'a cgroup path that does not start with "/"');
            if (current) {
                if (current.limitPercent === null || !current.hasPressure)
                    return fail('malformed', `the oomd dump's entry for ${show(current.path)} is incomplete`);
                blocks.push(current);
            }
            current = {
                path: value, limitPercent: null, ownDurationSec: null, hasPressure: false,
                avg10: null, avg60: null, avg300: null, pressureTotalSec: null, extra: {},
            };
            continue;
        }
        if (!current)
            continue; // a field before any Path: nothing to attach it to

        switch (key) {
        case 'Memory Pressure Limit': {
            const p = parsePercent2(value);
            if (p === null)
                return malformed(content, 'an unreadable percentage');
            current.limitPercent = p;
            break;
        }
        case 'Memory Pressure Duration': {
            const d = parseTimespanSec(value);
            if (d === null || !Number.isFinite(d))
                return malformed(content, 'an unreadable duration');
            current.ownDurationSec = d;
            break;
        }
        case 'Pressure': {
            const m = PRESSURE_LINE.exec(content);
            const a10 = m ? parseAvg(m[1] as string) : null;
            const a60 = m ? parseAvg(m[2] as string) : null;
            const a300 = m ? parseAvg(m[3] as string) : null;
            const total = m ? parseTimespanSec(m[4] as string) : null;
            if (a10 === null || a60 === null || a300 === null || total === null || !Number.isFinite(total))
                return malformed(content, 'an unreadable pressure line');
            current.hasPressure = true;
            current.avg10 = a10;
            current.avg60 = a60;
            current.avg300 = a300;
            current.pressureTotalSec = total;
            break;
        }
        case 'Current Memory Usage':
        case 'Memory Min':
        case 'Memory Low': {
            const bytes = key !== 'Current Memory Usage' && value === 'infinity'
                ? Infinity
                : parseBytesOrNull(value);
            if (bytes === undefined)
                return malformed(content, 'an unreadable size');
            if (bytes !== null) {
                const field = key === 'Current Memory Usage' ? 'memoryCurrent'
                    : key === 'Memory Min' ? 'memoryMin' : 'memoryLow';
                current.extra[field] = bytes;
            }
            break;
        }
        case 'Pgscan':
        case 'Last Pgscan': {
            if (!/^\d{1,20}$/.test(value))
                return malformed(content, 'an unreadable counter');
            current.extra[key === 'Pgscan' ? 'pgscan' : 'lastPgscan'] = Number(value);
            break;
        }
        default:
            break; // a field this parser does not know
        }
    }

    if (dryRun === null)
        return fail('empty', 'the oomd dump is empty');

    let truncated = cut || !sawPressureSection;
    if (current) {
        // The last block may have been cut: keep it once its limit and duration are known (v257+
        // prints the duration right after the limit; older dumps go on with the pressure line).
        if (current.limitPercent !== null && (current.ownDurationSec !== null || current.hasPressure))
            blocks.push(current);
        else
            truncated = true;
    }

    const pressureCgroups = blocks.map((b): OomdDumpCgroup => ({
        path: b.path,
        limitPercent: b.limitPercent as number,
        durationSec: b.ownDurationSec ?? defaultDurationSec,
        durationIsDefault: b.ownDurationSec === null,
        avg10: b.avg10,
        avg60: b.avg60,
        avg300: b.avg300,
        pressureTotalSec: b.pressureTotalSec,
        ...b.extra,
    }));

    return ok({
        dryRun,
        swapUsedLimitPercent,
        defaultLimitPercent,
        defaultDurationSec,
        system,
        pressureCgroups,
        swapCgroups,
        truncated,
    });
}

/** FORMAT_BYTES prints `(null)` (glibc) for an unknown size: null. undefined when unreadable. */
function parseBytesOrNull(text: string): number | null | undefined {
    if (text === '(null)')
        return null;
    return parseBytes(text) ?? undefined;
}

/**
 * The policy oomd applies to `path`, from a dump: its limit and its duration (the default's for
 * older dumps). null when oomd does not watch that cgroup or the duration is not known.
 */
export function policyFromDump(dump: OomdDump, path: string): OomdPolicy | null {
    const entry = dump.pressureCgroups.find(c => c.path === path);
    if (entry?.durationSec == null)
        return null;
    return { limitPercent: entry.limitPercent, durationSec: entry.durationSec };
}
