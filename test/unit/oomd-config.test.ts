import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

import {
    OOMD_CONF_DIRS, OOMD_CONF_DROPIN_DIRS, OOMD_CONF_PATHS, OOMD_DEFAULTS, UINT32_MAX,
    durationFromDbus, effectivePolicy, limitFromDbus, mergeOomdConf, parseOomdConf, parsePermyriad,
    type OomdConf, type OomdConfFile, type PolicySource, type SourcedPolicy,
} from '../../src/core/oomd-config.js';
import { FEDORA_POLICY } from '../../src/core/oomd.js';

function fixture(name: string): string {
    return readFileSync(new URL(`../fixtures/oomd/${name}`, import.meta.url), 'utf8');
}

const FEDORA_DROPIN: OomdConfFile = {
    dir: '/usr/lib/systemd/oomd.conf.d', name: '10-oomd-defaults.conf', text: fixture('conf/fedora-10-oomd-defaults.conf'),
};

/** systemd's UINT32_SCALE_TO_PERMYRIAD, in exact integers. */
function referencePermyriad(u: number): number {
    const max = BigInt(UINT32_MAX);
    return Number((BigInt(u) * 10000n + max / 2n) / max);
}

/** systemd's UINT32_SCALE_FROM_PERMYRIAD, how PID 1 stores `ManagedOOMMemoryPressureLimit=80%`. */
function fromPermyriad(p: number): number {
    const max = BigInt(UINT32_MAX);
    return Number((BigInt(p) * max + 5000n) / 10000n);
}

describe('limitFromDbus', () => {
    it('decodes the UINT32 scale to percent', () => {
        assert.equal(limitFromDbus(3435973836), 80); // Fedora's 80 %
        assert.equal(limitFromDbus(UINT32_MAX), 100);
        assert.equal(limitFromDbus(2147483648), 50);
        assert.equal(limitFromDbus(fromPermyriad(6055)), 60.55);
        assert.equal(limitFromDbus(fromPermyriad(1)), 0.01);
    });

    it('gives null for 0, which means oomd\'s default', () => {
        assert.equal(limitFromDbus(0), null);
    });

    it('rounds a tiny non-zero value to 0 %, as oomd does (it is not the default)', () => {
        assert.equal(limitFromDbus(1), 0);
    });

    it('gives null for values that are not a UINT32', () => {
        for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 32, UINT32_MAX + 1])
            assert.equal(limitFromDbus(bad), null, String(bad));
        assert.equal(limitFromDbus('80' as unknown as number), null);
    });

    it('property: matches UINT32_SCALE_TO_PERMYRIAD exactly', () => {
        fc.assert(fc.property(fc.integer({ min: 1, max: UINT32_MAX }), u => {
            assert.equal(limitFromDbus(u), referencePermyriad(u) / 100);
        }));
    });

    it('property: every percentage PID 1 can store reads back to itself', () => {
        fc.assert(fc.property(fc.integer({ min: 1, max: 10000 }), p => {
            assert.equal(limitFromDbus(fromPermyriad(p)), p / 100);
        }));
    });
});

describe('durationFromDbus', () => {
    it('converts µs to s', () => {
        assert.equal(durationFromDbus(20_000_000), 20);
        assert.equal(durationFromDbus(90_000_000), 90);
        assert.equal(durationFromDbus(1_500_000), 1.5);
        assert.equal(durationFromDbus(0), 0);
        assert.equal(durationFromDbus(20_000_000n), 20);
    });

    it('gives null for UINT64_MAX however it arrives', () => {
        assert.equal(durationFromDbus(18446744073709552000), null); // GJS's number for UINT64_MAX
        assert.equal(durationFromDbus(2 ** 64), null);
        assert.equal(durationFromDbus(Number.MAX_VALUE), null);
        assert.equal(durationFromDbus(0xFFFF_FFFF_FFFF_FFFFn), null);
        assert.equal(durationFromDbus(2n ** 64n), null);
    });

    it('gives null for values that are not a `t`', () => {
        for (const bad of [-1, 0.5, NaN, Infinity, -Infinity])
            assert.equal(durationFromDbus(bad), null, String(bad));
        assert.equal(durationFromDbus(-1n), null);
        assert.equal(durationFromDbus('20' as unknown as number), null);
    });

    it('keeps the largest finite values below UINT64_MAX', () => {
        assert.equal(durationFromDbus(0xFFFF_FFFF_FFFF_FFFEn), Number(0xFFFF_FFFF_FFFF_FFFEn) / 1e6);
        assert.equal(durationFromDbus(2 ** 63), 2 ** 63 / 1e6);
    });
});

describe('effectivePolicy', () => {
    const fedora: OomdConf = { ...OOMD_DEFAULTS, defaultDurationSec: 20 };

    it('takes the unit\'s own numbers when it has them', () => {
        assert.deepEqual(effectivePolicy({ limit: 80, durationSec: 45 }, fedora), { limitPercent: 80, durationSec: 45 });
    });

    it('falls back on the defaults for what the unit leaves unset', () => {
        assert.deepEqual(effectivePolicy({ limit: 80, durationSec: null }, fedora), FEDORA_POLICY);
        assert.deepEqual(effectivePolicy({ limit: null, durationSec: null }, fedora), { limitPercent: 60, durationSec: 20 });
        assert.deepEqual(effectivePolicy({ limit: null, durationSec: 5 }, OOMD_DEFAULTS), { limitPercent: 60, durationSec: 5 });
    });

    it('composes with the D-Bus decoders: Fedora\'s slice drop-in on systemd 257', () => {
        const unit = { limit: limitFromDbus(3435973836), durationSec: durationFromDbus(18446744073709552000) };
        assert.deepEqual(effectivePolicy(unit, mergeOomdConf([FEDORA_DROPIN])), FEDORA_POLICY);
    });

    it('tags where the numbers came from', () => {
        const sources: PolicySource[] = ['oomd-dump', 'unit-properties', 'settings'];
        const tagged: SourcedPolicy = { ...FEDORA_POLICY, source: sources[1] as PolicySource };
        assert.equal(tagged.source, 'unit-properties');
    });
});

describe('parsePermyriad', () => {
    const cases: [string, number | null][] = [
        ['60%', 6000], ['60.5%', 6050], ['60.55%', 6055], ['0%', 0], ['100%', 10000], ['605‰', 6050],
        ['605.5‰', 6055], ['6055‱', 6055], ['101%', null], ['60.555%', null], ['60.%', null], ['60', null],
        ['-5%', null], ['%', null], ['', null], [' 60%', null], ['60 %', null], ['1e2%', null],
    ];
    for (const [text, want] of cases) {
        it(`${JSON.stringify(text)} → ${want}`, () => {
            assert.equal(parsePermyriad(text), want);
        });
    }
});

describe('parseOomdConf', () => {
    function parse(text: string): { values: Partial<OomdConf>; warnings: string[] } {
        const warnings: string[] = [];
        const result = parseOomdConf(text, { warnings, filename: '/etc/systemd/oomd.conf.d/x.conf' });
        if (!result.ok)
            assert.fail(`${result.error.code}: ${result.error.message}`);
        return { values: result.value, warnings };
    }

    it('reads Fedora\'s 10-oomd-defaults.conf', () => {
        assert.deepEqual(parse(fixture('conf/fedora-10-oomd-defaults.conf')), {
            values: { defaultDurationSec: 20 }, warnings: [],
        });
    });

    it('reads nothing from the shipped, commented-out template', () => {
        assert.deepEqual(parse(fixture('conf/oomd.conf')), { values: {}, warnings: [] });
    });

    it('reads all three keys, with decimals and time spans', () => {
        assert.deepEqual(parse('[OOM]\nSwapUsedLimit=85.5%\nDefaultMemoryPressureLimit=70%\n' +
            'DefaultMemoryPressureDurationSec=1min 30s\n').values,
        { swapUsedLimitPercent: 85.5, defaultLimitPercent: 70, defaultDurationSec: 90 });
        assert.deepEqual(parse('[OOM]\nDefaultMemoryPressureLimit=605‰\nDefaultMemoryPressureDurationSec=45\n').values,
            { defaultLimitPercent: 60.5, defaultDurationSec: 45 });
    });

    it('lets the last assignment win and strips blanks around key and value', () => {
        assert.deepEqual(parse('[OOM]\n  DefaultMemoryPressureLimit = 50%  \nDefaultMemoryPressureLimit=55%\n').values,
            { defaultLimitPercent: 55 });
    });

    it('ignores comments, other sections and unknown keys, with warnings', () => {
        const { values, warnings } = parse('# comment\n; another\n[Journal]\nStorage=auto\n[OOM]\n' +
            '  # indented comment\nSwapUsedLimitPercent=80%\nswapusedlimit=70%\nSwapUsedLimit=75%\n[X-Local]\nFoo=bar\n');
        assert.deepEqual(values, { swapUsedLimitPercent: 75 });
        assert.deepEqual(warnings, [
            "/etc/systemd/oomd.conf.d/x.conf:3: Unknown section 'Journal'. Ignoring.",
            "/etc/systemd/oomd.conf.d/x.conf:7: Unknown key 'SwapUsedLimitPercent' in section [OOM], ignoring.",
            "/etc/systemd/oomd.conf.d/x.conf:8: Unknown key 'swapusedlimit' in section [OOM], ignoring.",
        ]);
    });

    it('warns about assignments outside a section and lines without "="', () => {
        const { values, warnings } = parse('DefaultMemoryPressureLimit=50%\n[OOM]\nDefaultMemoryPressureLimit\n=50%\n');
        assert.deepEqual(values, {});
        assert.equal(warnings.length, 3);
        assert.match(warnings[0] as string, /:1: Assignment outside of section/);
        assert.match(warnings[1] as string, /:3: Missing '='/);
        assert.match(warnings[2] as string, /:4: Missing key name/);
    });

    it('ignores unreadable values and keeps the previous one', () => {
        const { values, warnings } = parse('[OOM]\nDefaultMemoryPressureLimit=50%\nDefaultMemoryPressureLimit=150%\n' +
            'DefaultMemoryPressureLimit=lots\nSwapUsedLimit=\nDefaultMemoryPressureDurationSec=20s\n' +
            'DefaultMemoryPressureDurationSec=soon\n');
        assert.deepEqual(values, { defaultLimitPercent: 50, defaultDurationSec: 20 });
        assert.equal(warnings.length, 4);
    });

    it('maps an empty or zero duration to the upstream default, and ignores one below 1 s or infinite', () => {
        assert.deepEqual(parse('[OOM]\nDefaultMemoryPressureDurationSec=20s\nDefaultMemoryPressureDurationSec=\n').values,
            { defaultDurationSec: 30 });
        assert.deepEqual(parse('[OOM]\nDefaultMemoryPressureDurationSec=0\n').values, { defaultDurationSec: 30 });
        const sub = parse('[OOM]\nDefaultMemoryPressureDurationSec=20s\nDefaultMemoryPressureDurationSec=500ms\n' +
            'DefaultMemoryPressureDurationSec=infinity\n');
        assert.deepEqual(sub.values, { defaultDurationSec: 20 });
        assert.equal(sub.warnings.length, 2);
        assert.match(sub.warnings[0] as string, /at least 1s/);
        assert.deepEqual(parse('[OOM]\nDefaultMemoryPressureDurationSec=1s\n').values, { defaultDurationSec: 1 });
    });

    it('joins continuation lines and handles CRLF and a byte order mark', () => {
        assert.deepEqual(parse('[OOM]\nDefaultMemoryPressureDurationSec=1min \\\n30s\n').values, { defaultDurationSec: 90 });
        assert.deepEqual(parse('\uFEFF[OOM]\r\nDefaultMemoryPressureLimit=65%\r\n').values, { defaultLimitPercent: 65 });
        // An escaped backslash does not continue the line.
        const { warnings } = parse('[OOM]\nFoo=bar\\\\\nDefaultMemoryPressureLimit=65%\n');
        assert.equal(warnings.length, 1);
    });

    it('fails where systemd gives up on the file: a broken section header', () => {
        const result = parseOomdConf('[OOM]\nDefaultMemoryPressureLimit=50%\n[OOM\nSwapUsedLimit=80%\n');
        assert.equal(result.ok, false);
        if (result.ok)
            return;
        assert.equal(result.error.code, 'malformed');
        assert.match(result.error.message, /oomd\.conf:3: Invalid section header/);
        const bad = parseOomdConf('[O"OM]\n');
        assert.equal(bad.ok, false);
    });

    it('fails on a line longer than systemd reads', () => {
        const result = parseOomdConf(`[OOM]\n#${'x'.repeat(1024 * 1024 + 1)}\n`);
        assert.equal(result.ok, false);
        if (!result.ok)
            assert.equal(result.error.code, 'line-too-long');
    });

    it('property: never throws, and every value read is in range', () => {
        const keyLine = fc.tuple(
            fc.constantFrom('SwapUsedLimit', 'DefaultMemoryPressureLimit', 'DefaultMemoryPressureDurationSec', 'Other', ''),
            fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('60%', '20s', '1min', '0', '', '99.99%', '1e9')),
        ).map(([k, v]) => `${k}=${v}`);
        const line = fc.oneof(keyLine, fc.constantFrom('[OOM]', '[Other]', '#x', ';y', '', '[', 'x\\'), fc.string({ maxLength: 20 }));
        fc.assert(fc.property(fc.array(line, { maxLength: 12 }), lines => {
            const result = parseOomdConf(lines.join('\n'));
            if (!result.ok) {
                assert.ok(['malformed', 'line-too-long'].includes(result.error.code));
                return;
            }
            const v = result.value;
            for (const p of [v.swapUsedLimitPercent, v.defaultLimitPercent])
                assert.ok(p === undefined || (p >= 0 && p <= 100));
            assert.ok(v.defaultDurationSec === undefined || (v.defaultDurationSec >= 1 && Number.isFinite(v.defaultDurationSec)));
        }));
    });

    it('property: a cut-off file gives a subset of the full file\'s values or a failure', () => {
        const text = '[OOM]\nSwapUsedLimit=85%\nDefaultMemoryPressureLimit=70.25%\nDefaultMemoryPressureDurationSec=45s\n';
        const full = parseOomdConf(text);
        assert.ok(full.ok);
        fc.assert(fc.property(fc.nat({ max: text.length }), n => {
            const result = parseOomdConf(text.slice(0, n));
            if (!result.ok)
                return;
            // A cut value may read as a different valid one ("85%" → "8"), which systemd reads too; but
            // every key found is one the full file sets.
            for (const key of Object.keys(result.value))
                assert.ok(key in full.value, key);
        }));
    });
});

describe('mergeOomdConf', () => {
    it('lists the paths to read, highest priority first', () => {
        assert.deepEqual(OOMD_CONF_DIRS, ['/etc/systemd', '/run/systemd', '/usr/local/lib/systemd', '/usr/lib/systemd']);
        assert.deepEqual(OOMD_CONF_PATHS, ['/etc/systemd/oomd.conf', '/run/systemd/oomd.conf',
            '/usr/local/lib/systemd/oomd.conf', '/usr/lib/systemd/oomd.conf']);
        assert.deepEqual(OOMD_CONF_DROPIN_DIRS, ['/etc/systemd/oomd.conf.d', '/run/systemd/oomd.conf.d',
            '/usr/local/lib/systemd/oomd.conf.d', '/usr/lib/systemd/oomd.conf.d']);
    });

    it('gives the upstream defaults without files', () => {
        assert.deepEqual(mergeOomdConf([]), { swapUsedLimitPercent: 90, defaultLimitPercent: 60, defaultDurationSec: 30 });
    });

    it('gives Fedora\'s 60 % / 20 s with its drop-in and the commented template', () => {
        assert.deepEqual(mergeOomdConf([{ dir: '/etc/systemd', name: 'oomd.conf', text: fixture('conf/oomd.conf') }, FEDORA_DROPIN]),
            { swapUsedLimitPercent: 90, defaultLimitPercent: 60, defaultDurationSec: 20 });
    });

    it('reads only the highest-priority main file', () => {
        const conf = mergeOomdConf([
            { dir: '/usr/lib/systemd', name: 'oomd.conf', text: '[OOM]\nDefaultMemoryPressureLimit=40%\nSwapUsedLimit=70%\n' },
            { dir: '/run/systemd', name: 'oomd.conf', text: '[OOM]\nDefaultMemoryPressureLimit=45%\n' },
        ]);
        assert.deepEqual(conf, { swapUsedLimitPercent: 90, defaultLimitPercent: 45, defaultDurationSec: 30 });
    });

    it('applies drop-ins after the main file, whatever their directory', () => {
        const conf = mergeOomdConf([
            FEDORA_DROPIN,
            { dir: '/etc/systemd', name: 'oomd.conf', text: '[OOM]\nDefaultMemoryPressureDurationSec=60s\n' },
        ]);
        assert.equal(conf.defaultDurationSec, 20);
    });

    it('lets a drop-in in a higher-priority directory mask the same name, even when empty', () => {
        const masked = mergeOomdConf([FEDORA_DROPIN, { dir: '/etc/systemd/oomd.conf.d', name: '10-oomd-defaults.conf', text: '' }]);
        assert.equal(masked.defaultDurationSec, 30);
        const overridden = mergeOomdConf([
            { dir: '/etc/systemd/oomd.conf.d', name: '10-oomd-defaults.conf', text: '[OOM]\nDefaultMemoryPressureDurationSec=40s\n' },
            FEDORA_DROPIN,
        ]);
        assert.equal(overridden.defaultDurationSec, 40);
    });

    it('applies drop-ins in lexical order of name across directories', () => {
        const conf = mergeOomdConf([
            { dir: '/etc/systemd/oomd.conf.d', name: '05-early.conf', text: '[OOM]\nDefaultMemoryPressureDurationSec=5s\n' },
            FEDORA_DROPIN, // 10-…, /usr/lib
            { dir: '/run/systemd/oomd.conf.d', name: '99-late.conf', text: '[OOM]\nDefaultMemoryPressureLimit=75%\n' },
            { dir: '/usr/local/lib/systemd/oomd.conf.d', name: '50-middle.conf', text: '[OOM]\nDefaultMemoryPressureLimit=65%\n' },
            { dir: '/etc/systemd/oomd.conf.d', name: 'Zeta.conf', text: '[OOM]\nSwapUsedLimit=50%\n' },
            { dir: '/etc/systemd/oomd.conf.d', name: 'alpha.conf', text: '[OOM]\nSwapUsedLimit=60%\n' }, // 'a' > 'Z'
        ]);
        assert.deepEqual(conf, { swapUsedLimitPercent: 60, defaultLimitPercent: 75, defaultDurationSec: 20 });
    });

    it('ignores files outside the search path, without .conf, or hidden, with warnings', () => {
        const warnings: string[] = [];
        const conf = mergeOomdConf([
            { dir: '/home/me', name: 'oomd.conf', text: '[OOM]\nDefaultMemoryPressureLimit=10%\n' },
            { dir: '/etc/systemd/oomd.conf.d', name: '20-x.conf.rpmsave', text: '[OOM]\nDefaultMemoryPressureLimit=11%\n' },
            { dir: '/etc/systemd/oomd.conf.d', name: '.hidden.conf', text: '[OOM]\nDefaultMemoryPressureLimit=12%\n' },
            { dir: '/etc/systemd/oomd.conf.d', name: 'oomd.conf.d', text: '' },
            { dir: '/etc/systemd/', name: 'oomd.conf', text: '[OOM]\nSwapUsedLimit=80%\n' }, // trailing slash is fine
        ], warnings);
        assert.deepEqual(conf, { swapUsedLimitPercent: 80, defaultLimitPercent: 60, defaultDurationSec: 30 });
        assert.equal(warnings.length, 4);
    });

    it('stops at a file systemd gives up on, keeping what was read before', () => {
        const warnings: string[] = [];
        const conf = mergeOomdConf([
            { dir: '/etc/systemd/oomd.conf.d', name: '20-broken.conf', text: '[OOM]\nSwapUsedLimit=70%\n[OOM\nDefaultMemoryPressureLimit=20%\n' },
            { dir: '/etc/systemd/oomd.conf.d', name: '30-after.conf', text: '[OOM]\nDefaultMemoryPressureLimit=30%\n' },
            FEDORA_DROPIN,
        ], warnings);
        assert.deepEqual(conf, { swapUsedLimitPercent: 70, defaultLimitPercent: 60, defaultDurationSec: 20 });
        assert.equal(warnings.length, 1);
        assert.match(warnings[0] as string, /^\/etc\/systemd\/oomd\.conf\.d\/20-broken\.conf:3: Invalid section header/);
    });

    it('property: the order in which files are given does not matter', () => {
        const dirArb = fc.constantFrom(...OOMD_CONF_DIRS, ...OOMD_CONF_DROPIN_DIRS);
        const fileArb = fc.record({
            dir: dirArb,
            name: fc.constantFrom('oomd.conf', '10-a.conf', '20-b.conf', 'Z.conf', 'a.conf'),
            text: fc.constantFrom('', '[OOM]\nSwapUsedLimit=70%\n', '[OOM]\nDefaultMemoryPressureLimit=55.5%\n',
                '[OOM]\nDefaultMemoryPressureDurationSec=2min\n', '[OOM]\nDefaultMemoryPressureDurationSec=\n', '[bad\n'),
        });
        const files = fc.uniqueArray(fileArb, { selector: f => `${f.dir}/${f.name}`, maxLength: 8 });
        fc.assert(fc.property(files.chain(fs => fc.tuple(fc.constant(fs), fc.shuffledSubarray(fs, { minLength: fs.length }))),
            ([a, b]) => {
                assert.deepEqual(mergeOomdConf(b), mergeOomdConf(a));
            }));
    });

    it('property: never throws on random file texts', () => {
        fc.assert(fc.property(fc.array(fc.record({
            dir: fc.constantFrom(...OOMD_CONF_DIRS, ...OOMD_CONF_DROPIN_DIRS, '/tmp'),
            name: fc.string({ maxLength: 12 }),
            text: fc.string({ maxLength: 80 }),
        }), { maxLength: 6 }), files => {
            const conf = mergeOomdConf(files);
            assert.ok(conf.defaultDurationSec >= 1);
        }));
    });
});
