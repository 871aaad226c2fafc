import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

import {
    parseBytes, parseOomdDump, parseTimespanSec, policyFromDump,
    type OomdDump, type OomdDumpCgroup,
} from '../../src/core/oomd-dump.js';

function fixture(name: string): string {
    return readFileSync(new URL(`../fixtures/oomd/${name}`, import.meta.url), 'utf8');
}

const ERROR_CODES = ['empty', 'not-a-dump', 'malformed'];
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const USER = '/user.slice/user-1000.slice/user@1000.service';

/** The header of a whole dump from oomd with its stock settings: not a dry run, swap 90 %, defaults 60 % for 20 s. */
function assertStockHeader(dump: OomdDump): void {
    assert.equal(dump.dryRun, false);
    assert.equal(dump.swapUsedLimitPercent, 90);
    assert.equal(dump.defaultLimitPercent, 60);
    assert.equal(dump.defaultDurationSec, 20);
    assert.equal(dump.truncated, false);
}

function expectOk(text: string): OomdDump {
    const result = parseOomdDump(text);
    if (!result.ok)
        assert.fail(`expected ok, got ${result.error.code}: ${result.error.message}`);
    return result.value;
}

function expectError(text: string, code: string): string {
    const result = parseOomdDump(text);
    if (result.ok)
        assert.fail(`expected ${code} for ${JSON.stringify(text.slice(0, 200))}`);
    assert.equal(result.error.code, code, result.error.message);
    assert.ok(result.error.message.length > 0);
    return result.error.message;
}

function assertTyped(result: ReturnType<typeof parseOomdDump>): void {
    if (result.ok)
        return;
    assert.ok(ERROR_CODES.includes(result.error.code), `unexpected code ${result.error.code}`);
    assert.equal(typeof result.error.message, 'string');
    assert.ok(result.error.message.length > 0);
}

function entry(dump: OomdDump, path: string): OomdDumpCgroup {
    const found = dump.pressureCgroups.find(c => c.path === path);
    assert.ok(found, `no entry for ${path}`);
    return found;
}

describe('parseTimespanSec', () => {
    const cases: [string, number][] = [
        ['20s', 20], ['1min 30s', 90], ['2min 41s', 161], ['500ms', 0.5], ['1h', 3600], ['0', 0],
        ['30', 30], ['1min', 60], ['1.5h', 5400], ['5 min', 300], ['1min30s', 90], ['  20s  ', 20],
        ['1w 2d', 9 * 86400], ['3d 4h 12min 5s', 3 * 86400 + 4 * 3600 + 12 * 60 + 5], ['1month', 2629800],
        ['1y', 31557600], ['250us', 0.00025], ['1µs', 0.000001], ['2 hours', 7200], ['20sec', 20],
        ['1.25s', 1.25], ['.5s', 0.5], ['90m', 5400], ['1M', 2629800], ['100msec', 0.1],
    ];
    for (const [text, sec] of cases) {
        it(`reads ${JSON.stringify(text)} as ${sec} s`, () => {
            const got = parseTimespanSec(text);
            assert.ok(got !== null, 'null');
            assert.ok(Math.abs(got - sec) < 1e-9, `${got}`);
        });
    }

    it('reads "infinity" as Infinity', () => {
        assert.equal(parseTimespanSec('infinity'), Infinity);
        assert.equal(parseTimespanSec(' infinity '), Infinity);
        assert.equal(parseTimespanSec('infinity 5s'), null);
    });

    for (const bad of ['', ' ', 's', '-5s', '+5s', '3.', '3.sec', '12.34.56', '5x', 'abc', '5s x', '1e3s', 'min']) {
        it(`rejects ${JSON.stringify(bad)}`, () => {
            assert.equal(parseTimespanSec(bad), null);
        });
    }

    it('rejects spans beyond 2^64 µs and overlong text', () => {
        assert.equal(parseTimespanSec('99999999999999999999y'), null);
        assert.equal(parseTimespanSec('1s '.repeat(200)), null);
    });

    it('reads what format_timespan prints at 1 s accuracy', () => {
        // format_timespan(…, USEC_PER_SEC): units from years down to seconds, space-separated.
        const units: [string, number][] = [['y', 31557600], ['month', 2629800], ['w', 604800], ['d', 86400],
            ['h', 3600], ['min', 60], ['s', 1]];
        fc.assert(fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), total => {
            let rest = total;
            const parts: string[] = [];
            for (const [suffix, size] of units) {
                if (rest >= size) {
                    parts.push(`${Math.floor(rest / size)}${suffix}`);
                    rest %= size;
                }
            }
            const text = parts.length ? parts.join(' ') : '0';
            assert.equal(parseTimespanSec(text), total);
        }));
    });

    it('never throws on random text', () => {
        fc.assert(fc.property(fc.string({ maxLength: 40 }), text => {
            const got = parseTimespanSec(text);
            assert.ok(got === null || (typeof got === 'number' && got >= 0));
        }));
    });
});

describe('parseBytes', () => {
    const cases: [string, number][] = [
        ['0B', 0], ['512B', 512], ['1023B', 1023], ['8G', 8 * GiB], ['8.0G', 8 * GiB],
        ['11.8G', 11 * GiB + Math.floor(8 * GiB / 10)], ['450.5M', 450 * MiB + Math.floor(5 * MiB / 10)],
        ['1.0K', 1024], ['2.0T', 2 * 1024 ** 4], ['1.0P', 1024 ** 5], ['1.0E', 1024 ** 6],
    ];
    for (const [text, bytes] of cases) {
        it(`reads ${text}`, () => {
            assert.equal(parseBytes(text), bytes);
        });
    }

    for (const bad of ['', '8', '8.05G', 'G', '-1B', '8g', '1.2B', '8 G', '8GB', '8.G', 'infinity', '(null)', '1.0Ki']) {
        it(`rejects ${JSON.stringify(bad)}`, () => {
            assert.equal(parseBytes(bad), null);
        });
    }

    it('reads back what format_bytes prints, within a tenth of the unit below', () => {
        // format_bytes_full(): IEC, one decimal digit computed from the next smaller unit, truncated.
        const table: [string, bigint][] = [['E', 1024n ** 6n], ['P', 1024n ** 5n], ['T', 1024n ** 4n],
            ['G', 1024n ** 3n], ['M', 1024n ** 2n], ['K', 1024n]];
        const formatBytes = (t: bigint): string => {
            for (let i = 0; i < table.length; i++) {
                const [suffix, factor] = table[i] as [string, bigint];
                if (t >= factor) {
                    const decimal = i !== table.length - 1
                        ? (t / (table[i + 1] as [string, bigint])[1] * 10n / 1024n) % 10n
                        : (t * 10n / factor) % 10n;
                    return `${t / factor}.${decimal}${suffix}`;
                }
            }
            return `${t}B`;
        };
        fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 62n }), t => {
            const text = formatBytes(t);
            const got = parseBytes(text);
            assert.ok(got !== null, text);
            const unit = text.endsWith('B') ? 1 : Number(table.find(([s]) => text.endsWith(s))?.[1]);
            assert.ok(got <= Number(t) * (1 + 1e-12) + 1, `${text}: ${got} > ${t}`);
            assert.ok(Number(t) - got < unit / 10 + unit / 1024 + 1, `${text}: ${got} too far below ${t}`);
        }));
    });
});

describe('parseOomdDump: fixtures', () => {
    it('reads the Fedora 42 (v257) dump', () => {
        const dump = expectOk(fixture('fedora42-v257.dump'));
        assertStockHeader(dump);
        assert.deepEqual(dump.system, {
            memoryUsed: 14 * GiB + Math.floor(GiB / 10), memoryTotal: 15 * GiB + Math.floor(3 * GiB / 10),
            swapUsed: 7 * GiB + Math.floor(6 * GiB / 10), swapTotal: 8 * GiB,
        });
        assert.deepEqual(dump.swapCgroups, []);
        assert.deepEqual(dump.pressureCgroups.map(c => c.path), [
            `${USER}/app.slice`, '/system.slice', `${USER}/session.slice`,
            `${USER}/app.slice/app-org.gnome.Terminal.slice`, `${USER}/background.slice`, `${USER}/user.slice`,
        ]);
        assert.deepEqual(entry(dump, `${USER}/app.slice`), {
            path: `${USER}/app.slice`,
            limitPercent: 80,
            durationSec: 20,
            durationIsDefault: false,
            avg10: 62.4,
            avg60: 31.05,
            avg300: 9.77,
            pressureTotalSec: 161,
            memoryCurrent: 11 * GiB + Math.floor(8 * GiB / 10),
            memoryMin: 0,
            memoryLow: 0,
            pgscan: 48213377,
            lastPgscan: 48190102,
        });
        assert.equal(entry(dump, `${USER}/background.slice`).pressureTotalSec, 0);
        for (const c of dump.pressureCgroups)
            assert.deepEqual([c.limitPercent, c.durationSec], [80, 20]);
        assert.deepEqual(policyFromDump(dump, `${USER}/app.slice`), { limitPercent: 80, durationSec: 20 });
        assert.equal(policyFromDump(dump, '/user.slice'), null);
    });

    it('reads the v256 dump: no per-cgroup duration, no commas; the default applies', () => {
        const dump = expectOk(fixture('fedora41-v256.dump'));
        assert.equal(dump.defaultDurationSec, 20);
        assert.equal(dump.pressureCgroups.length, 3);
        const app = entry(dump, `${USER}/app.slice`);
        assert.equal(app.durationSec, 20);
        assert.equal(app.durationIsDefault, true);
        assert.deepEqual([app.avg10, app.avg60, app.avg300, app.pressureTotalSec], [12.04, 4.51, 1.02, 38]);
        assert.equal(app.pgscan, 1021554);
        assert.equal(dump.truncated, false);
        assert.deepEqual(policyFromDump(dump, '/system.slice'), { limitPercent: 80, durationSec: 20 });
    });

    it('reads a dump with nothing monitored', () => {
        const dump = expectOk(fixture('no-monitored-cgroups.dump'));
        assert.deepEqual(dump.pressureCgroups, []);
        assert.deepEqual(dump.swapCgroups, []);
        assert.equal(dump.defaultLimitPercent, 60);
        assert.equal(dump.defaultDurationSec, 30);
        assert.equal(dump.truncated, false);
        assert.deepEqual(dump.system, { memoryUsed: 2 * GiB + Math.floor(9 * GiB / 10),
            memoryTotal: 15 * GiB + Math.floor(5 * GiB / 10), swapUsed: 0, swapTotal: 0 });
    });

    it('reads the v261 dump: swap cgroups, the root cgroup, per-unit settings', () => {
        const dump = expectOk(fixture('v261.dump'));
        assert.equal(dump.swapUsedLimitPercent, 85);
        assert.deepEqual(dump.swapCgroups, ['/', '/user.slice']);
        const root = entry(dump, '/');
        assert.deepEqual(root, {
            path: '/', limitPercent: 90, durationSec: 60, durationIsDefault: false,
            avg10: 12.5, avg60: 6.2, avg300: 2.01, pressureTotalSec: 185,
            memoryCurrent: 30 * GiB + Math.floor(2 * GiB / 10),
        });
        const jellyfin = entry(dump, '/system.slice/jellyfin.service');
        assert.deepEqual([jellyfin.limitPercent, jellyfin.durationSec, jellyfin.memoryMin, jellyfin.memoryLow],
            [50, 90, 256 * MiB, GiB]);
        assert.deepEqual(policyFromDump(dump, '/system.slice/jellyfin.service'), { limitPercent: 50, durationSec: 90 });
    });

    it('reads the notes\' illustrative dump, dropping the elided last block', () => {
        const dump = expectOk(fixture('notes-illustrative.dump'));
        assert.equal(dump.system?.swapTotal, 8 * GiB); // "8G"
        assert.deepEqual(dump.pressureCgroups.map(c => c.path), [`${USER}/app.slice`]);
        assert.equal(entry(dump, `${USER}/app.slice`).lastPgscan, 48190102);
        assert.equal(dump.truncated, true);
    });
});

// Captured from a real systemd-oomd 257.13 (Debian 13 guest of test/vm, Fedora's per-slice policy, 1 GiB
// RAM, 768 MiB swap) with `oomctl dump`, which prints the memfd DumpByFileDescriptor returns.
describe('parseOomdDump: real systemd-oomd 257.13 (test/vm)', () => {
    it('reads the calm dump: header, swap section for "/", two monitored cgroups', () => {
        const dump = expectOk(fixture('oomd-dump-257-real.txt'));
        assertStockHeader(dump);
        // "169.9M", and whole values without a decimal: "965M" (the fixtures' "8.0G" style is not what 257 prints).
        assert.deepEqual(dump.system, {
            memoryUsed: Math.floor(169.9 * MiB), memoryTotal: 965 * MiB, swapUsed: 0, swapTotal: Math.floor(767.9 * MiB),
        });
        // ManagedOOMSwap=kill on -.slice: "Path: /" with "Swap Usage: (see System Context)".
        assert.deepEqual(dump.swapCgroups, ['/']);
        assert.deepEqual(dump.pressureCgroups.map(c => c.path), ['/system.slice', `${USER}/app.slice`]);
        assert.deepEqual(entry(dump, `${USER}/app.slice`), {
            path: `${USER}/app.slice`, limitPercent: 80, durationSec: 20, durationIsDefault: false,
            avg10: 0, avg60: 0, avg300: 0, pressureTotalSec: 0,
            memoryCurrent: 692 * 1024, memoryMin: 0, memoryLow: 0, pgscan: 0, lastPgscan: 0,
        });
        assert.equal(entry(dump, '/system.slice').memoryCurrent, Math.floor(44.3 * MiB));
        assert.deepEqual(policyFromDump(dump, `${USER}/app.slice`), { limitPercent: 80, durationSec: 20 });
        assert.deepEqual(policyFromDump(dump, '/system.slice'), { limitPercent: 80, durationSec: 20 });
    });

    it('reads the dump under pressure (app.slice at 63 %, reclaim going on)', () => {
        const dump = expectOk(fixture('oomd-dump-257-real-pressure.txt'));
        assert.deepEqual(dump.pressureCgroups.map(c => c.path),
            ['/system.slice', `${USER}/app.slice`, `${USER}/session.slice`]);
        const app = entry(dump, `${USER}/app.slice`);
        assert.deepEqual([app.avg10, app.avg60, app.avg300, app.pressureTotalSec], [63.46, 18.72, 4.28, 14]);
        assert.deepEqual([app.memoryCurrent, app.pgscan, app.lastPgscan], [Math.floor(66.1 * MiB), 18487, 18487]);
        assert.equal(entry(dump, `${USER}/session.slice`).memoryCurrent, 528 * 1024);
        assert.equal(dump.system?.memoryUsed, Math.floor(294.4 * MiB));
    });

    it('reads nested monitored cgroups (Debian\'s user@.service drop-in at 50 %) and a total in ms', () => {
        const dump = expectOk(fixture('oomd-dump-257-real-nested.txt'));
        assert.deepEqual(dump.pressureCgroups.map(c => [c.path, c.limitPercent, c.durationSec]), [
            ['/system.slice', 80, 20], [USER, 50, 20], [`${USER}/app.slice`, 80, 20], [`${USER}/session.slice`, 80, 20],
        ]);
        assert.equal(entry(dump, '/system.slice').pressureTotalSec, 0.002); // "Total: 2ms"
        assert.deepEqual([entry(dump, USER).avg10, entry(dump, USER).pressureTotalSec], [61.47, 10]);
        assert.deepEqual(dump.system, {
            memoryUsed: Math.floor(266.8 * MiB), memoryTotal: Math.floor(965.1 * MiB), swapUsed: 0, swapTotal: 0,
        });
    });
});

describe('parseOomdDump: details and failures', () => {
    const HEAD = 'Dry Run: yes\nSwap Used Limit: 90.00%\nDefault Memory Pressure Limit: 60.00%\n' +
        'Default Memory Pressure Duration: 30s\nSystem Context:\n\tMemory: Used: 1.0G, Total: 2.0G\n' +
        '\tSwap: Used: 0B, Total: 0B\nSwap Monitored CGroups:\nMemory Pressure Monitored CGroups:\n';

    it('reads a dry run', () => {
        assert.equal(expectOk(HEAD).dryRun, true);
    });

    it('accepts CRLF line ends', () => {
        const dump = expectOk(fixture('fedora42-v257.dump').replace(/\n/g, '\r\n'));
        assert.equal(dump.pressureCgroups.length, 6);
        assert.equal(entry(dump, '/system.slice').pgscan, 2210934);
    });

    it('reads infinity for Memory Min/Low and (null) for an unknown size', () => {
        const dump = expectOk(`${HEAD}\tPath: /a.slice\n\t\tMemory Pressure Limit: 50.00%\n` +
            '\t\tMemory Pressure Duration: 1min\n' +
            '\t\tPressure: Avg10: 1.00, Avg60: 2.00, Avg300: 3.00, Total: 0\n\t\tCurrent Memory Usage: (null)\n' +
            '\t\tMemory Min: infinity\n\t\tMemory Low: infinity\n\t\tPgscan: 1\n\t\tLast Pgscan: 0\n');
        const a = entry(dump, '/a.slice');
        assert.equal(a.memoryMin, Infinity);
        assert.equal(a.memoryLow, Infinity);
        assert.equal('memoryCurrent' in a, false);
    });

    it('skips lines it does not know, so later versions may add some', () => {
        const dump = expectOk(HEAD.replace('System Context:', 'Prekill Hook Timeout: 0\nSystem Context:') +
            '\tPath: /a.slice\n\t\tMemory Pressure Limit: 50.00%\n\t\tMemory Pressure Duration: 1min\n' +
            '\t\tRules: none\n\t\tPressure: Avg10: 1.00, Avg60: 2.00, Avg300: 3.00, Total: 0\n' +
            '\t\tCurrent Memory Usage: 1.0M\nRulesets:\n\tfoo\n');
        assert.equal(dump.pressureCgroups.length, 1);
        assert.equal(entry(dump, '/a.slice').durationSec, 60);
    });

    it('fails on empty text', () => {
        expectError('', 'empty');
        expectError('\n\n  \n', 'empty');
    });

    it('fails on text that is not a dump', () => {
        const message = expectError('Failed to connect to bus: No such file or directory\n', 'not-a-dump');
        assert.match(message, /not systemd-oomd dump output/);
        expectError('<html>\n', 'not-a-dump');
        expectError(`Swap Used Limit: 90.00%\n${HEAD}`, 'not-a-dump');
    });

    it('fails on unreadable values of known lines', () => {
        expectError(HEAD.replace('90.00%', '90%'), 'malformed');
        expectError(HEAD.replace('30s', 'soon'), 'malformed');
        expectError(HEAD.replace('1.0G', '1 GB'), 'malformed');
        const block = '\tPath: /a.slice\n\t\tMemory Pressure Limit: 50.00%\n\t\tMemory Pressure Duration: 1min\n' +
            '\t\tPressure: Avg10: 1.00, Avg60: 2.00, Avg300: 3.00, Total: 0\n\t\tCurrent Memory Usage: 1.0M\n';
        expectError(`${HEAD}${block.replace('50.00%', 'high')}`, 'malformed');
        expectError(`${HEAD}${block.replace('1min', 'forever')}`, 'malformed');
        expectError(`${HEAD}${block.replace('Avg10: 1.00', 'Avg10: lots')}`, 'malformed');
        expectError(`${HEAD}${block.replace('1.0M', '-1')}`, 'malformed');
        expectError(`${HEAD}${block}\t\tPgscan: many\n`, 'malformed');
        expectError(`${HEAD}${block.replace('/a.slice', 'a.slice')}`, 'malformed');
    });

    it('fails on an incomplete block in the middle', () => {
        const msg = expectError(`${HEAD}\tPath: /a.slice\n\tPath: /b.slice\n\t\tMemory Pressure Limit: 50.00%\n` +
            '\t\tPressure: Avg10: 1.00, Avg60: 2.00, Avg300: 3.00, Total: 0\n', 'malformed');
        assert.match(msg, /\/a\.slice/);
    });

    it('keeps hostile paths verbatim and error messages short and printable', () => {
        const hostile = '/<b>x</b>\u202e\x07.slice';
        const dump = expectOk(`${HEAD}\tPath: ${hostile}\n\t\tMemory Pressure Limit: 50.00%\n` +
            '\t\tPressure: Avg10: 1.00, Avg60: 2.00, Avg300: 3.00, Total: 0\n');
        assert.equal(dump.pressureCgroups[0]?.path, hostile);
        const message = expectError(`Dry Run: no\nSwap Used Limit: \x1b[31m${'9'.repeat(5000)}\n`, 'malformed');
        assert.ok(message.length < 120);
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(message, /[\x00-\x1f]/);
    });

    it('handles a huge dump', () => {
        const block = (i: number) => `\tPath: /s${i}.slice\n\t\tMemory Pressure Limit: 80.00%\n` +
            '\t\tMemory Pressure Duration: 20s\n\t\tPressure: Avg10: 1.00, Avg60: 2.00, Avg300: 3.00, Total: 1s\n' +
            '\t\tCurrent Memory Usage: 1.0M\n\t\tMemory Min: 0B\n\t\tMemory Low: 0B\n\t\tPgscan: 5\n\t\tLast Pgscan: 4\n';
        const text = HEAD + Array.from({ length: 20000 }, (_, i) => block(i)).join('');
        const dump = expectOk(text);
        assert.equal(dump.pressureCgroups.length, 20000);
    });
});

// ---- generated dumps --------------------------------------------------------------------------------

interface Model {
    version: 'v256' | 'v257';
    dryRun: boolean;
    swapPermyriad: number;
    defaultLimitCenti: number;
    defaultDurationSec: number;
    swap: string[];
    cgroups: {
        path: string; limitCenti: number; durationSec: number; avg: [number, number, number];
        totalSec: number; current: number; min: number; low: number; pgscan: number; lastPgscan: number;
    }[];
}

const centi = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

function timespan(sec: number): string {
    if (sec === 0)
        return '0';
    const parts: string[] = [];
    let rest = sec;
    for (const [suffix, size] of [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]] as const) {
        if (rest >= size) {
            parts.push(`${Math.floor(rest / size)}${suffix}`);
            rest %= size;
        }
    }
    return parts.join(' ');
}

function render(m: Model): string {
    const sep = m.version === 'v257' ? ', ' : ' ';
    const out = [
        `Dry Run: ${m.dryRun ? 'yes' : 'no'}`,
        `Swap Used Limit: ${centi(m.swapPermyriad)}%`,
        `Default Memory Pressure Limit: ${centi(m.defaultLimitCenti)}%`,
        `Default Memory Pressure Duration: ${timespan(m.defaultDurationSec)}`,
        'System Context:',
        '\tMemory: Used: 3.5G, Total: 15.3G',
        '\tSwap: Used: 0B, Total: 8.0G',
        'Swap Monitored CGroups:',
        ...m.swap.flatMap(p => [`\tPath: ${p}`, '\t\tSwap Usage: 12.0M']),
        'Memory Pressure Monitored CGroups:',
    ];
    for (const c of m.cgroups) {
        out.push(`\tPath: ${c.path}`, `\t\tMemory Pressure Limit: ${centi(c.limitCenti)}%`);
        if (m.version === 'v257')
            out.push(`\t\tMemory Pressure Duration: ${timespan(c.durationSec)}`);
        out.push(`\t\tPressure: Avg10: ${centi(c.avg[0])}${sep}Avg60: ${centi(c.avg[1])}${sep}` +
            `Avg300: ${centi(c.avg[2])}${sep}Total: ${timespan(c.totalSec)}`);
        out.push(`\t\tCurrent Memory Usage: ${c.current}B`, `\t\tMemory Min: ${c.min}B`, `\t\tMemory Low: ${c.low}B`,
            `\t\tPgscan: ${c.pgscan}`, `\t\tLast Pgscan: ${c.lastPgscan}`);
    }
    return `${out.join('\n')}\n`;
}

function expected(m: Model): OomdDumpCgroup[] {
    return m.cgroups.map(c => ({
        path: c.path,
        limitPercent: c.limitCenti / 100,
        durationSec: m.version === 'v257' ? c.durationSec : m.defaultDurationSec,
        durationIsDefault: m.version !== 'v257',
        avg10: c.avg[0] / 100, avg60: c.avg[1] / 100, avg300: c.avg[2] / 100,
        pressureTotalSec: c.totalSec,
        memoryCurrent: c.current, memoryMin: c.min, memoryLow: c.low,
        pgscan: c.pgscan, lastPgscan: c.lastPgscan,
    }));
}

const pathArb = fc.array(fc.stringMatching(/^[A-Za-z0-9@._\\-]{1,12}$/), { minLength: 1, maxLength: 4 })
    .map(parts => `/${parts.join('/')}`);
const centiArb = fc.integer({ min: 0, max: 10000 });
const modelArb: fc.Arbitrary<Model> = fc.record({
    version: fc.constantFrom('v256' as const, 'v257' as const),
    dryRun: fc.boolean(),
    swapPermyriad: centiArb,
    defaultLimitCenti: centiArb,
    defaultDurationSec: fc.integer({ min: 1, max: 100000 }),
    swap: fc.array(pathArb, { maxLength: 3 }),
    cgroups: fc.array(fc.record({
        path: pathArb,
        limitCenti: centiArb,
        durationSec: fc.integer({ min: 1, max: 100000 }),
        avg: fc.tuple(centiArb, centiArb, centiArb),
        totalSec: fc.integer({ min: 0, max: 10_000_000 }),
        current: fc.integer({ min: 0, max: 1023 }),
        min: fc.integer({ min: 0, max: 1023 }),
        low: fc.integer({ min: 0, max: 1023 }),
        pgscan: fc.maxSafeInteger().filter(n => n >= 0),
        lastPgscan: fc.integer({ min: 0, max: 1_000_000 }),
    }), { maxLength: 6 }),
});

describe('parseOomdDump: properties', () => {
    it('reads back every generated dump (v256 and v257 formats)', () => {
        fc.assert(fc.property(modelArb, m => {
            const dump = expectOk(render(m));
            assert.equal(dump.dryRun, m.dryRun);
            assert.equal(dump.swapUsedLimitPercent, m.swapPermyriad / 100);
            assert.equal(dump.defaultLimitPercent, m.defaultLimitCenti / 100);
            assert.equal(dump.defaultDurationSec, m.defaultDurationSec);
            assert.deepEqual(dump.swapCgroups, m.swap);
            assert.deepEqual(dump.pressureCgroups, expected(m));
            assert.equal(dump.truncated, false);
        }));
    });

    it('a cut-off dump gives a consistent prefix or a typed failure', () => {
        fc.assert(fc.property(modelArb, fc.nat(), (m, cutAt) => {
            const text = render(m);
            const prefix = text.slice(0, cutAt % (text.length + 1));
            const result = parseOomdDump(prefix);
            assertTyped(result);
            if (!result.ok) {
                // Only a prefix without a complete first line can fail.
                assert.ok(!prefix.includes('\n'), `${result.error.code} for ${JSON.stringify(prefix)}`);
                return;
            }
            const dump = result.value;
            const full = expected(m);
            assert.equal(dump.dryRun, m.dryRun);
            for (const [got, want] of [[dump.swapUsedLimitPercent, m.swapPermyriad / 100],
                [dump.defaultLimitPercent, m.defaultLimitCenti / 100],
                [dump.defaultDurationSec, m.defaultDurationSec]] as const)
                assert.ok(got === null || got === want);
            assert.ok(dump.swapCgroups.every((p, i) => p === m.swap[i]));
            assert.ok(dump.pressureCgroups.length <= full.length);
            dump.pressureCgroups.forEach((c, i) => {
                const want = full[i] as OomdDumpCgroup;
                if (i < dump.pressureCgroups.length - 1 || prefix === text) {
                    assert.deepEqual(c, want);
                    return;
                }
                // The last block may lack its later lines; whatever it has is right.
                for (const [k, v] of Object.entries(c)) {
                    if (v !== null && !(k === 'durationSec' && c.durationIsDefault))
                        assert.deepEqual(v, want[k as keyof OomdDumpCgroup], k);
                }
            });
            if (prefix !== text && !prefix.endsWith('\n'))
                assert.equal(dump.truncated, true);
        }));
    });

    it('never throws on random text or corrupted dumps', () => {
        fc.assert(fc.property(fc.string({ maxLength: 300 }), text => {
            assertTyped(parseOomdDump(text));
            assertTyped(parseOomdDump(`Dry Run: no\n${text}`));
        }));
        fc.assert(fc.property(modelArb, fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 20 })), { maxLength: 5 }),
            (m, edits) => {
                const lines = render(m).split('\n');
                for (const [at, junk] of edits)
                    lines.splice(at % (lines.length + 1), 0, junk);
                assertTyped(parseOomdDump(lines.join('\n')));
            }));
    });
});
