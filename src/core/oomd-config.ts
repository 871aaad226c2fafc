// Where systemd-oomd's numbers come from, other than its dump:
//
//  * the unit properties ManagedOOMMemoryPressureLimit (`u`) and ManagedOOMMemoryPressureDurationUSec
//    (`t`) of org.freedesktop.systemd1 (src/core/dbus-cgroup.c), readable by anyone;
//  * oomd.conf and its drop-ins, for the defaults a unit falls back to (src/oom/oomd-conf.c).
//
// Pure functions: the I/O side reads OOMD_CONF_PATHS and the `*.conf` files of OOMD_CONF_DROPIN_DIRS
// and hands the texts to mergeOomdConf().

import type { OomdPolicy } from './oomd.js';
import { parseTimespanSec } from './oomd-dump.js';
import { fail, ok, type Result } from './result.js';

export interface OomdConf {
    /** SwapUsedLimit=, percent. */
    swapUsedLimitPercent: number;
    /** DefaultMemoryPressureLimit=, percent of `full avg10`. */
    defaultLimitPercent: number;
    /** DefaultMemoryPressureDurationSec=, seconds. */
    defaultDurationSec: number;
}

/** Upstream defaults (oomd-manager.h): 60 % for 30 s, swap 90 %. Fedora's drop-in sets 20 s. */
export const OOMD_DEFAULTS: Readonly<OomdConf> = Object.freeze({
    swapUsedLimitPercent: 90,
    defaultLimitPercent: 60,
    defaultDurationSec: 30,
});

/** Where the numbers of a policy came from, for the menu's "where the numbers came from". */
export type PolicySource = 'oomd-dump' | 'unit-properties' | 'settings';

export interface SourcedPolicy extends OomdPolicy {
    source: PolicySource;
}

// ---- D-Bus unit properties -------------------------------------------------------------------------

export const UINT32_MAX = 4294967295;

/**
 * ManagedOOMMemoryPressureLimit (`u`, UINT32 scale: 100 % = UINT32_MAX) to percent, rounded to
 * hundredths as oomd does (UINT32_SCALE_TO_PERMYRIAD: `(v·10000 + UINT32_MAX/2) / UINT32_MAX` ‱).
 * 0 means "use oomd's DefaultMemoryPressureLimit" and gives null, as does a value that is not a
 * UINT32.
 */
export function limitFromDbus(u: number): number | null {
    if (typeof u !== 'number' || !Number.isInteger(u) || u <= 0 || u > UINT32_MAX)
        return null;
    // Exact in doubles: u·10000 < 2^46, and the quotient is at most 10000.
    const permyriad = Math.floor((u * 10000 + Math.floor(UINT32_MAX / 2)) / UINT32_MAX);
    return permyriad / 100;
}

/**
 * ManagedOOMMemoryPressureDurationUSec (`t`, µs) to seconds. UINT64_MAX means "use oomd's
 * DefaultMemoryPressureDurationSec" and gives null. GJS delivers `t` as a JS number, in which
 * UINT64_MAX reads 18446744073709552000 (2^64): anything from 2^64 − 1 up counts as unset. A negative
 * or non-integer value is not a `t` either and gives null.
 */
export function durationFromDbus(t: number | bigint): number | null {
    if (typeof t === 'bigint') {
        if (t < 0n || t >= 0xFFFF_FFFF_FFFF_FFFFn)
            return null;
        return Number(t) / 1_000_000;
    }
    if (typeof t !== 'number' || !Number.isFinite(t) || !Number.isInteger(t) || t < 0 || t >= 2 ** 64 - 1)
        return null;
    return t / 1_000_000;
}

/** The policy for a unit: its own limit and duration, oomd's defaults where it sets none. */
export function effectivePolicy(
    unit: { limit: number | null; durationSec: number | null },
    defaults: OomdConf,
): OomdPolicy {
    return {
        limitPercent: unit.limit ?? defaults.defaultLimitPercent,
        durationSec: unit.durationSec ?? defaults.defaultDurationSec,
    };
}

// ---- oomd.conf -------------------------------------------------------------------------------------

/** Directories searched for `oomd.conf`, highest priority first (CONF_PATHS("systemd")). */
export const OOMD_CONF_DIRS: readonly string[] = Object.freeze([
    '/etc/systemd',
    '/run/systemd',
    '/usr/local/lib/systemd',
    '/usr/lib/systemd',
]);

/** Candidates for the main file; oomd reads the first that exists. */
export const OOMD_CONF_PATHS: readonly string[] = Object.freeze([
    '/etc/systemd/oomd.conf',
    '/run/systemd/oomd.conf',
    '/usr/local/lib/systemd/oomd.conf',
    '/usr/lib/systemd/oomd.conf',
]);

/** Drop-in directories, highest priority first; oomd reads their `*.conf` files. */
export const OOMD_CONF_DROPIN_DIRS: readonly string[] = Object.freeze([
    '/etc/systemd/oomd.conf.d',
    '/run/systemd/oomd.conf.d',
    '/usr/local/lib/systemd/oomd.conf.d',
    '/usr/lib/systemd/oomd.conf.d',
]);

/** Longest line systemd's config reader accepts (LONG_LINE_MAX). */
const LONG_LINE_MAX = 1024 * 1024;

export interface OomdConfParseOptions {
    /** Receives one message per ignored line or value, like systemd's log_syntax() warnings. */
    warnings?: string[];
    /** Used in those messages; `oomd.conf` when not given. */
    filename?: string;
}

/**
 * A percentage as parse_permyriad() reads it: `60%`, `60.5%`, `60.55%`, `605‰`, `605.5‰`, `6055‱`;
 * at most 100 %. Returns permyriad (hundredths of a percent), or null.
 */
export function parsePermyriad(text: string): number | null {
    let m = /^(\d{1,9})‱$/.exec(text);
    let v: number | null = null;
    if (m) {
        v = Number(m[1]);
    } else if ((m = /^(\d{1,9})(?:\.(\d))?‰$/.exec(text))) {
        v = Number(m[1]) * 10 + Number(m[2] ?? '0');
    } else if ((m = /^(\d{1,9})(?:\.(\d{1,2}))?%$/.exec(text))) {
        v = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
    }
    return v !== null && v <= 10000 ? v : null;
}

interface ConfParse {
    values: Partial<OomdConf>;
    error: { code: string; message: string } | null;
}

function parseConf(text: string, filename: string, warnings: string[] | undefined): ConfParse {
    const values: Partial<OomdConf> = {};
    const warn = (line: number, message: string) => warnings?.push(`${filename}:${line}: ${message}`);
    const stop = (line: number, code: string, message: string): ConfParse => {
        const full = `${filename}:${line}: ${message}`;
        warnings?.push(full);
        return { values, error: { code, message: full } };
    };

    if (typeof text !== 'string')
        return { values, error: { code: 'malformed', message: `${filename}: not text` } };

    let section: string | null = null;
    let sectionIgnored = false;
    let continuation: string | null = null;
    // read_line() ends a line at "\n", "\r\n", "\r" or NUL.
    const lines = text.split(/\r\n|[\r\n\0]/);
    for (let n = 0; n < lines.length; n++) {
        const lineNo = n + 1;
        let raw = lines[n] as string;
        if (n === 0 && raw.startsWith('\uFEFF'))
            raw = raw.slice(1);
        if (raw.length > LONG_LINE_MAX || (continuation?.length ?? 0) + raw.length > LONG_LINE_MAX)
            return stop(lineNo, 'line-too-long', 'Line too long');

        // Comment lines are skipped even inside a continuation (config_parse()).
        const lead = raw.replace(/^[ \t]+/, '');
        if (lead.startsWith('#') || lead.startsWith(';'))
            continue;

        let line: string = continuation === null ? raw : continuation + raw;
        // A line ending in an unescaped backslash continues on the next one; the backslash becomes a space.
        let escaped = false;
        for (const c of line)
            escaped = escaped ? false : c === '\\';
        if (escaped) {
            continuation = `${line.slice(0, -1)} `;
            continue;
        }
        continuation = null;

        line = line.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
        if (line === '')
            continue;

        if (line.startsWith('[')) {
            if (!line.endsWith(']'))
                return stop(lineNo, 'malformed', `Invalid section header '${line}'`);
            const name = line.slice(1, -1);
            // string_is_safe(): no control characters, quotes or backslashes.
            // eslint-disable-next-line no-control-regex
            if (/[\x00-\x1f\x7f\\"']/.test(name))
                return stop(lineNo, 'malformed', `Bad characters in section header '${line}'`);
            sectionIgnored = name !== 'OOM';
            section = sectionIgnored ? null : name;
            if (sectionIgnored && !name.startsWith('X-'))
                warn(lineNo, `Unknown section '${name}'. Ignoring.`);
            continue;
        }
        if (section === null) {
            if (!sectionIgnored)
                warn(lineNo, 'Assignment outside of section. Ignoring.');
            continue;
        }

        const eq = line.indexOf('=');
        if (eq < 0) {
            warn(lineNo, "Missing '=', ignoring line.");
            continue;
        }
        if (eq === 0) {
            warn(lineNo, "Missing key name before '=', ignoring line.");
            continue;
        }
        const key = line.slice(0, eq).replace(/[ \t]+$/, '');
        const value = line.slice(eq + 1).replace(/^[ \t]+/, '');

        switch (key) {
        case 'SwapUsedLimit':
        case 'DefaultMemoryPressureLimit': {
            const permyriad = parsePermyriad(value);
            if (permyriad === null) {
                warn(lineNo, `Failed to parse ${key}=${value}, ignoring.`);
                break;
            }
            if (key === 'SwapUsedLimit')
                values.swapUsedLimitPercent = permyriad / 100;
            else
                values.defaultLimitPercent = permyriad / 100;
            break;
        }
        case 'DefaultMemoryPressureDurationSec': {
            // oomd-conf.c config_parse_duration: empty or 0 → the upstream default; below 1 s or
            // infinity → ignored.
            if (value === '') {
                values.defaultDurationSec = OOMD_DEFAULTS.defaultDurationSec;
                break;
            }
            const sec = parseTimespanSec(value);
            if (sec === null) {
                warn(lineNo, `Failed to parse ${key}=${value}, ignoring.`);
            } else if (sec === 0) {
                values.defaultDurationSec = OOMD_DEFAULTS.defaultDurationSec;
            } else if (sec < 1 || !Number.isFinite(sec)) {
                warn(lineNo, `${key}= must be at least 1s and less than infinity, ignoring: ${value}`);
            } else {
                values.defaultDurationSec = sec;
            }
            break;
        }
        default:
            warn(lineNo, `Unknown key '${key}' in section [${section}], ignoring.`);
        }
    }
    return { values, error: null };
}

/**
 * Parses one oomd.conf or drop-in file: the `[OOM]` keys SwapUsedLimit=, DefaultMemoryPressureLimit=
 * and DefaultMemoryPressureDurationSec=. Only the keys the file sets are in the result; the last
 * assignment wins. Other sections, comments (`#`, `;`), unknown keys and unreadable values are
 * ignored (with a warning, if `options.warnings` is given). A broken section header or an overlong
 * line makes systemd give up on the file (and on the files after it), which is a failure here.
 */
export function parseOomdConf(text: string, options: OomdConfParseOptions = {}): Result<Partial<OomdConf>> {
    const parsed = parseConf(text, options.filename ?? 'oomd.conf', options.warnings);
    if (parsed.error)
        return fail(parsed.error.code, parsed.error.message);
    return ok(parsed.values);
}

export interface OomdConfFile {
    /** The directory the file is in: one of OOMD_CONF_DIRS (main file) or OOMD_CONF_DROPIN_DIRS. */
    dir: string;
    /** `oomd.conf` in OOMD_CONF_DIRS, `*.conf` in OOMD_CONF_DROPIN_DIRS. */
    name: string;
    text: string;
}

/** strcmp() order, which is code point order (JS `<` compares UTF-16 units). */
function compareNames(a: string, b: string): number {
    const ca = Array.from(a, c => c.codePointAt(0) as number);
    const cb = Array.from(b, c => c.codePointAt(0) as number);
    for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
        if (ca[i] !== cb[i])
            return (ca[i] as number) - (cb[i] as number);
    }
    return ca.length - cb.length;
}

/**
 * oomd's configuration from the files that exist, as config_parse_standard_file_with_dropins() reads
 * them: upstream defaults; then the first `oomd.conf` in OOMD_CONF_DIRS order; then the drop-ins of all
 * OOMD_CONF_DROPIN_DIRS, where a name in a higher-priority directory hides the same name below, in
 * lexical order of name. Later assignments win. An empty file (or a /dev/null symlink, read as empty)
 * masks a drop-in of the same name. A file systemd would give up on stops the reading, keeping what
 * was read before it. Files outside those directories are ignored with a warning.
 */
export function mergeOomdConf(files: readonly OomdConfFile[], warnings?: string[]): OomdConf {
    const conf: OomdConf = { ...OOMD_DEFAULTS };
    const strip = (dir: string) => dir.length > 1 ? dir.replace(/\/+$/, '') : dir;

    let main: OomdConfFile | null = null;
    let mainRank = Infinity;
    const dropins = new Map<string, { file: OomdConfFile; rank: number }>();
    for (const file of files) {
        const dir = strip(file.dir);
        const mainIndex = OOMD_CONF_DIRS.indexOf(dir);
        const dropinIndex = OOMD_CONF_DROPIN_DIRS.indexOf(dir);
        if (mainIndex >= 0 && file.name === 'oomd.conf') {
            if (mainIndex < mainRank) {
                main = file;
                mainRank = mainIndex;
            }
        } else if (dropinIndex >= 0 && /^[^./][^/]*\.conf$/.test(file.name)) {
            const seen = dropins.get(file.name);
            if (!seen || dropinIndex < seen.rank)
                dropins.set(file.name, { file, rank: dropinIndex });
        } else {
            warnings?.push(`${file.dir}/${file.name}: not an oomd configuration file, ignored`);
        }
    }

    const order: OomdConfFile[] = [];
    if (main)
        order.push(main);
    for (const name of [...dropins.keys()].sort(compareNames))
        order.push((dropins.get(name) as { file: OomdConfFile }).file);

    for (const file of order) {
        const parsed = parseConf(file.text, `${strip(file.dir)}/${file.name}`, warnings);
        Object.assign(conf, parsed.values);
        if (parsed.error)
            break;
    }
    return conf;
}
