import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

import { setTranslator } from '../../src/core/i18n.js';
import {
    JOURNAL_ARGS, JOURNAL_MAX_LINE, OOMD_UNIT, parseOomdKillMessage, parseOomdKills, summarizeKills,
    type OomdKill,
} from '../../src/core/journal.js';

function fixture(name: string): string {
    return readFileSync(new URL(`../fixtures/oomd/${name}`, import.meta.url), 'utf8');
}

const USER = '/user.slice/user-1000.slice/user@1000.service';
const APP = `${USER}/app.slice`;
const FIREFOX = `${APP}/app-gnome-firefox-4242.scope`;
const JELLYFIN = `${APP}/jellyfin.service/libpod-payload-` +
    '4c1f0e7d9a2b3c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6';

// The example line of the notes (§5), exactly.
const NOTES_EXAMPLE = 'Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope ' +
    'due to memory pressure for /user.slice/user-1000.slice/user@1000.service/app.slice being 83.12% > 80.00% ' +
    'for > 20s with reclaim activity';

const T0 = 1751890213456789; // µs

/** One `journalctl -o json --output-fields=…` line. */
function line(message: unknown, extra: Record<string, unknown> = {}): string {
    return JSON.stringify({
        __CURSOR: 's=1;i=2', __REALTIME_TIMESTAMP: String(T0), __MONOTONIC_TIMESTAMP: '30493698', _BOOT_ID: 'b',
        MESSAGE: message, SYSLOG_IDENTIFIER: 'systemd-oomd', _SYSTEMD_UNIT: OOMD_UNIT, ...extra,
    });
}

function utf8Bytes(s: string): number[] {
    return [...Buffer.from(s, 'utf8')];
}

describe('parseOomdKillMessage', () => {
    it('reads the notes\' example (v257)', () => {
        assert.deepEqual(parseOomdKillMessage(NOTES_EXAMPLE), {
            victim: FIREFOX, monitored: APP, pressure: 83.12, limit: 80, durationSec: 20, reason: 'memory-pressure',
        });
    });

    it('reads the v260 "Marked … for killing" form', () => {
        const message = NOTES_EXAMPLE.replace(`Killed ${FIREFOX}`, `Marked ${FIREFOX} for killing`);
        assert.deepEqual(parseOomdKillMessage(message), {
            victim: FIREFOX, monitored: APP, pressure: 83.12, limit: 80, durationSec: 20, reason: 'memory-pressure',
        });
    });

    it('reads longer durations and other limits', () => {
        const kill = parseOomdKillMessage(`Killed /system.slice/jellyfin.service due to memory pressure for /system.slice ` +
            'being 55.01% > 50.00% for > 1min 30s with reclaim activity');
        assert.deepEqual(kill, { victim: '/system.slice/jellyfin.service', monitored: '/system.slice', pressure: 55.01,
            limit: 50, durationSec: 90, reason: 'memory-pressure' });
    });

    it('reads the swap rule, both forms', () => {
        const tail = 'due to memory used (16260780032) / total (16419115008) and swap used (7728742400) / ' +
            'total (8589930496) being more than 90.00%';
        const want = { victim: `${APP}/x.scope`, monitored: null, pressure: null, limit: 90, durationSec: null,
            reason: 'memory-used' };
        assert.deepEqual(parseOomdKillMessage(`Killed ${APP}/x.scope ${tail}`), want);
        assert.deepEqual(parseOomdKillMessage(`Marked ${APP}/x.scope for killing ${tail}`), want);
    });

    it('keeps a path with spaces and systemd escapes whole', () => {
        const victim = `${APP}/app-Hyprland-xdg\\x2dterminal\\x2dexec-ea541d95.scope/sub group`;
        const kill = parseOomdKillMessage(`Killed ${victim} due to memory pressure for ${APP} being 90.00% > 80.00% ` +
            'for > 20s with reclaim activity');
        assert.equal(kill?.victim, victim);
    });

    it('keeps the kill when the duration is unreadable', () => {
        const kill = parseOomdKillMessage(NOTES_EXAMPLE.replace('for > 20s', 'for > a while'));
        assert.equal(kill?.durationSec, null);
        assert.equal(kill?.victim, FIREFOX);
    });

    for (const other of [
        'Considered 7 cgroups for killing, top candidates were:\n\tPath: /x',
        'oomd dry-run: Would have tried to kill /x with recurse=true',
        `Memory pressure for ${APP} is 83.12% > 80.00% for > 20s with reclaim activity`,
        "Rule 'big' conditions met for cgroup /x for 20s, taking action kill-all",
        'Killed due to memory pressure',
        `${NOTES_EXAMPLE} `,
        NOTES_EXAMPLE.replace('83.12%', '83.1%'),
        NOTES_EXAMPLE.replace(FIREFOX, 'app.scope'),
        NOTES_EXAMPLE.replace(FIREFOX, `${APP}/<b>evil</b>.scope`),
        NOTES_EXAMPLE.replace(FIREFOX, `${APP}/a\u0007b.scope`),
        NOTES_EXAMPLE.replace(FIREFOX, `${APP}/a\u202eb.scope`),
        NOTES_EXAMPLE.replace(APP, `${APP}\n`),
        `${NOTES_EXAMPLE.slice(0, 60)}${'x'.repeat(5000)}${NOTES_EXAMPLE.slice(60)}`,
    ]) {
        it(`is not a kill: ${JSON.stringify(other.slice(0, 70))}`, () => {
            assert.equal(parseOomdKillMessage(other), null);
        });
    }
});

describe('parseOomdKills', () => {
    it('reads the Fedora 42 (v257) journal', () => {
        const { kills, skipped } = parseOomdKills(fixture('journal-fedora42-v257.jsonl'));
        assert.equal(skipped, 0);
        assert.equal(kills.length, 5);
        assert.deepEqual(kills[0], {
            time: Math.floor(T0 / 1000), victim: FIREFOX, monitored: APP, pressure: 83.12, limit: 80, durationSec: 20,
            reason: 'memory-pressure',
        });
        assert.deepEqual(kills.slice(1, 4).map(k => [k.victim, k.pressure]),
            [[JELLYFIN, 84.7], [JELLYFIN, 86.03], [JELLYFIN, 85.11]]);
        assert.deepEqual(kills.slice(2, 4).map((k, i) => k.time - (kills[i + 1] as OomdKill).time), [15512, 15512]);
        assert.equal(kills[4]?.reason, 'memory-used');
        assert.equal(kills[4]?.limit, 90);
    });

    it('reads a real 257.13 journal (test/vm): three kills among debug noise and per-line candidate dumps', () => {
        // Headroom's own journalctl command (historyArgv) against systemd-oomd 257.13 at debug level. Each
        // line of the "Considered … top candidates were:" dump is an entry of its own here ("\tPath: …").
        const { kills, skipped } = parseOomdKills(fixture('journal-257-real.jsonl'));
        assert.equal(skipped, 0);
        const hog = `${APP}/app-gnome-hog-425.scope`;
        const service = `${APP}/container-jellyfin.service`;
        assert.deepEqual(kills, [
            { time: 1795855764497, victim: hog, monitored: APP, pressure: 86.07, limit: 80, durationSec: 20,
                reason: 'memory-pressure' },
            { time: 1795855842501, victim: service, monitored: APP, pressure: 89.44, limit: 80, durationSec: 20,
                reason: 'memory-pressure' },
            { time: 1795855888590, victim: service, monitored: APP, pressure: 90.46, limit: 80, durationSec: 20,
                reason: 'memory-pressure' },
        ]);
    });

    it('reads the v260 journal', () => {
        const { kills, skipped } = parseOomdKills(fixture('journal-v260.jsonl'));
        assert.equal(skipped, 0);
        assert.deepEqual(kills.map(k => [k.victim, k.reason]), [
            [FIREFOX, 'memory-pressure'], [JELLYFIN, 'memory-pressure'],
            [`${APP}/app-Hyprland-xdg\\x2dterminal\\x2dexec-ea541d95.scope`, 'memory-used'],
        ]);
        assert.equal(kills[0]?.time, 1780000000000);
    });

    it('reads a MESSAGE sent as bytes (not printable UTF-8)', () => {
        const victim = `${APP}/caf\u00e9-\ufffd.scope`;
        const bytes = [...utf8Bytes(`Killed ${APP}/caf\u00e9-`), 0xff, ...utf8Bytes(`.scope due to memory pressure for ${APP} ` +
            'being 90.00% > 80.00% for > 20s with reclaim activity')];
        const { kills, skipped } = parseOomdKills(line(bytes));
        assert.equal(skipped, 0);
        assert.equal(kills[0]?.victim, victim);
    });

    it('decodes byte arrays as UTF-8, replacing what is not', () => {
        const cases: [number[], string][] = [
            [utf8Bytes('a€𝄞'), 'a€𝄞'],
            [[0xc0, 0x80], '\ufffd\ufffd'], // overlong
            [[0xed, 0xa0, 0x80], '\ufffd\ufffd\ufffd'], // surrogate
            [[0xe2, 0x82], '\ufffd'], // cut short
            [[0xf4, 0x90, 0x80, 0x80], '\ufffd\ufffd\ufffd\ufffd'], // beyond U+10FFFF
        ];
        for (const [bytes, text] of cases) {
            const message = [...utf8Bytes(`Killed ${APP}/`), ...bytes, ...utf8Bytes(` due to memory pressure for ${APP} ` +
                'being 90.00% > 80.00% for > 20s with reclaim activity')];
            assert.equal(parseOomdKills(line(message)).kills[0]?.victim, `${APP}/${text}`);
        }
    });

    it('ignores oomd\'s other messages without counting them', () => {
        const text = [
            line('Considered 3 cgroups for killing, top candidates were:\n\tPath: /x'),
            line('oomd dry-run: Would have tried to kill /x and all its descendants'),
            line(null), // journalctl prints fields of 4 KiB and more as null: a long candidate list
            '',
            '   ',
            line(NOTES_EXAMPLE),
        ].join('\n');
        assert.deepEqual(parseOomdKills(text), { kills: [parseOomdKills(line(NOTES_EXAMPLE)).kills[0]], skipped: 0 });
    });

    it('trusts _SYSTEMD_UNIT over SYSLOG_IDENTIFIER: a user\'s `logger -t systemd-oomd` is skipped', () => {
        const spoofed = line(NOTES_EXAMPLE, { _SYSTEMD_UNIT: 'user@1000.service', _SYSTEMD_USER_UNIT: 'app-x.scope' });
        assert.deepEqual(parseOomdKills(spoofed), { kills: [], skipped: 1 });
        const otherUnit = line(NOTES_EXAMPLE, { _SYSTEMD_UNIT: 'init.scope', SYSLOG_IDENTIFIER: 'systemd' });
        assert.equal(parseOomdKills(otherUnit).skipped, 1);
        const noIdentity = line(NOTES_EXAMPLE, { _SYSTEMD_UNIT: undefined, SYSLOG_IDENTIFIER: undefined });
        assert.equal(parseOomdKills(noIdentity).skipped, 1);
        // Without the trusted field (an export that dropped it), the identifier is taken.
        const exported = line(NOTES_EXAMPLE, { _SYSTEMD_UNIT: undefined });
        assert.equal(parseOomdKills(exported).kills.length, 1);
    });

    it('skips and counts malformed, incomplete and hostile entries', () => {
        const hostile = [
            '{"MESSAGE": "Killed /x due',
            'not json at all',
            '[1,2,3]',
            '42',
            'null',
            '"Killed /a due to memory pressure for /b being 90.00% > 80.00% for > 20s with reclaim activity"',
            line(NOTES_EXAMPLE, { __REALTIME_TIMESTAMP: undefined }),
            line(NOTES_EXAMPLE, { __REALTIME_TIMESTAMP: T0 }), // a number, not journalctl's string
            line(NOTES_EXAMPLE, { __REALTIME_TIMESTAMP: '-5' }),
            line(NOTES_EXAMPLE, { __REALTIME_TIMESTAMP: '99999999999999999999' }),
            line(NOTES_EXAMPLE, { __REALTIME_TIMESTAMP: '1.5e15' }),
            line(undefined),
            line(null, { _SYSTEMD_UNIT: 'user@1000.service' }),
            line([NOTES_EXAMPLE, NOTES_EXAMPLE]), // a repeated field
            line([1, 2, 300]),
            line({ text: NOTES_EXAMPLE }),
            line(12),
            line(NOTES_EXAMPLE.replace(FIREFOX, `${APP}/<span foreground="red">x</span>.scope`)),
            line(NOTES_EXAMPLE.replace(FIREFOX, `${APP}/a\u001b[31mb.scope`)),
            line(NOTES_EXAMPLE.replace('83.12%', 'lots')),
            `${line(NOTES_EXAMPLE).slice(0, -1)}, "pad": "${'x'.repeat(JOURNAL_MAX_LINE)}"}`,
            `{"__proto__": {"MESSAGE": "${NOTES_EXAMPLE}"}, "__REALTIME_TIMESTAMP": "1", "_SYSTEMD_UNIT": "${OOMD_UNIT}"}`,
        ];
        const text = [...hostile, line(NOTES_EXAMPLE)].join('\n');
        const { kills, skipped } = parseOomdKills(text);
        assert.equal(kills.length, 1);
        assert.equal(skipped, hostile.length);
        assert.equal(Object.prototype.hasOwnProperty.call({}, 'MESSAGE'), false);
    });

    it('survives a huge input', () => {
        const text = Array.from({ length: 20000 }, (_, i) => line(NOTES_EXAMPLE, {
            __REALTIME_TIMESTAMP: String(T0 + i * 1_000_000) })).join('\n');
        const { kills } = parseOomdKills(text);
        assert.equal(kills.length, 20000);
        assert.equal(parseOomdKills('x'.repeat(5_000_000)).skipped, 1);
    });

    it('never throws on anything', () => {
        assert.deepEqual(parseOomdKills(undefined as unknown as string), { kills: [], skipped: 0 });
        assert.deepEqual(parseOomdKills(''), { kills: [], skipped: 0 });
    });

    it('property: random text never throws, and counts stay within the line count', () => {
        fc.assert(fc.property(fc.array(fc.oneof(fc.string({ maxLength: 60 }), fc.json(), fc.constant(line(NOTES_EXAMPLE))),
            { maxLength: 10 }), lines => {
            const text = lines.join('\n');
            const { kills, skipped } = parseOomdKills(text);
            const nonBlank = text.split('\n').filter(l => l.trim() !== '').length;
            assert.ok(kills.length + skipped <= nonBlank);
        }));
    });

    it('property: random JSON objects with journal-ish fields never throw', () => {
        const value = fc.oneof(fc.string({ maxLength: 40 }), fc.constant(NOTES_EXAMPLE), fc.integer(), fc.constant(null),
            fc.array(fc.integer({ min: -5, max: 300 }), { maxLength: 20 }));
        fc.assert(fc.property(fc.record({
            MESSAGE: value, __REALTIME_TIMESTAMP: value, _SYSTEMD_UNIT: fc.oneof(value, fc.constant(OOMD_UNIT)),
            SYSLOG_IDENTIFIER: value,
        }, { requiredKeys: [] }), entry => {
            const { kills, skipped } = parseOomdKills(JSON.stringify(entry));
            assert.ok(kills.length + skipped <= 1);
        }));
    });

    it('property: generated kills are read back; a cut-off journal gives a prefix of them', () => {
        const pathArb = fc.array(fc.stringMatching(/^[A-Za-z0-9@._\\-]{1,10}$/), { minLength: 1, maxLength: 4 })
            .map(p => `/${p.join('/')}`);
        const killArb = fc.record({
            usec: fc.integer({ min: 0, max: 4_000_000_000_000_000 }),
            victim: pathArb,
            monitored: pathArb,
            pressure: fc.integer({ min: 0, max: 10000 }),
            limit: fc.integer({ min: 0, max: 10000 }),
            duration: fc.integer({ min: 1, max: 3600 }),
            marked: fc.boolean(),
            swap: fc.boolean(),
        });
        const centi = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
        fc.assert(fc.property(fc.array(killArb, { maxLength: 6 }), fc.nat(), (gen, cutAt) => {
            const lines = gen.map(k => {
                const head = k.marked ? `Marked ${k.victim} for killing` : `Killed ${k.victim}`;
                const message = k.swap
                    ? `${head} due to memory used (1) / total (2) and swap used (3) / total (4) being more than ${centi(k.limit)}%`
                    : `${head} due to memory pressure for ${k.monitored} being ${centi(k.pressure)}% > ${centi(k.limit)}% ` +
                      `for > ${k.duration >= 60 ? `${Math.floor(k.duration / 60)}min ` : ''}${k.duration % 60}s with reclaim activity`;
                return line(message, { __REALTIME_TIMESTAMP: String(k.usec) });
            });
            const text = lines.map(l => `${l}\n`).join('');
            const want: OomdKill[] = gen.map(k => ({
                time: Math.floor(k.usec / 1000), victim: k.victim, monitored: k.swap ? null : k.monitored,
                pressure: k.swap ? null : k.pressure / 100, limit: k.limit / 100, durationSec: k.swap ? null : k.duration,
                reason: k.swap ? 'memory-used' : 'memory-pressure',
            }));
            assert.deepEqual(parseOomdKills(text), { kills: want, skipped: 0 });

            const cut = parseOomdKills(text.slice(0, cutAt % (text.length + 1)));
            assert.ok(cut.skipped <= 1);
            assert.deepEqual(cut.kills, want.slice(0, cut.kills.length));
        }));
    });
});

describe('summarizeKills', () => {
    const DAY = 86400 * 1000;
    const NOW = 1752000000000;
    const kill = (victim: string, ago: number): OomdKill => ({
        time: NOW - ago, victim, monitored: APP, pressure: 85, limit: 80, durationSec: 20, reason: 'memory-pressure',
    });
    const nameOf = (cgroup: string) => cgroup.includes('jellyfin') ? 'Jellyfin' : cgroup.includes('firefox') ? 'Firefox'
        : cgroup.split('/').pop() ?? cgroup;

    afterEach(() => setTranslator(null));

    it('says "3 kills in 7 days — Jellyfin ×3"', () => {
        const summary = summarizeKills([kill(JELLYFIN, DAY), kill(JELLYFIN, 2 * DAY), kill(JELLYFIN, 3 * DAY)], NOW, nameOf);
        assert.equal(summary.text, '3 kills in 7 days — Jellyfin ×3');
        assert.equal(summary.count, 3);
        assert.deepEqual(summary.byName, [{ name: 'Jellyfin', count: 3, times: [NOW - DAY, NOW - 2 * DAY, NOW - 3 * DAY] }]);
    });

    it('counts only the window, sorts by count then recency, and uses the singular', () => {
        const summary = summarizeKills([
            kill(FIREFOX, 10 * DAY), // outside
            kill(`${APP}/b.scope`, 2 * DAY),
            kill(FIREFOX, 3 * DAY),
            kill(JELLYFIN, 4 * DAY),
            kill(JELLYFIN, 5 * DAY),
            kill(`${APP}/a.scope`, 2 * DAY),
        ], NOW, nameOf);
        assert.equal(summary.count, 5);
        assert.deepEqual(summary.byName.map(g => [g.name, g.count]),
            [['Jellyfin', 2], ['a.scope', 1], ['b.scope', 1], ['Firefox', 1]]);
        assert.equal(summary.text, '5 kills in 7 days — Jellyfin ×2, a.scope, b.scope, …');
        assert.equal(summarizeKills([kill(FIREFOX, 1000)], NOW, nameOf, 1).text, '1 kill in 1 day — Firefox');
    });

    it('says when there were none', () => {
        assert.deepEqual(summarizeKills([], NOW, nameOf), { count: 0, byName: [], text: 'No kills in 7 days' });
        assert.equal(summarizeKills([kill(FIREFOX, 2 * DAY)], NOW, nameOf, 1).text, 'No kills in 1 day');
    });

    it('includes the edge of the window and kills stamped slightly in the future', () => {
        const summary = summarizeKills([kill(FIREFOX, 7 * DAY), kill(FIREFOX, -5000), kill(FIREFOX, 7 * DAY + 1)], NOW, nameOf);
        assert.equal(summary.count, 2);
    });

    it('takes names literally and falls back on the path for an empty name', () => {
        const odd = summarizeKills([kill('/a', 1), kill('/b', 2)], NOW, c => (c === '/a' ? '$& %s $1' : ''));
        assert.equal(odd.text, '2 kills in 7 days — $& %s $1, /b');
    });

    it('goes through the translator, with the counts', () => {
        const calls: [string, number][] = [];
        setTranslator({
            gettext: msgid => (msgid === '%s %s — %s' ? '%s %s : %s' : msgid),
            ngettext: (msgid, plural, n) => {
                calls.push([msgid, n]);
                return (n === 1 ? msgid : plural).replace('kill', 'Abschuss').replace('day', 'Tag');
            },
        });
        const summary = summarizeKills([kill(JELLYFIN, 1), kill(JELLYFIN, 2)], NOW, nameOf, 3);
        assert.equal(summary.text, '2 Abschusss in 3 Tags : Jellyfin ×2');
        assert.deepEqual(calls, [['in %d day', 3], ['%d kill', 2]]);
    });
});

describe('JOURNAL_ARGS', () => {
    it('asks journalctl for oomd\'s own entries as JSON', () => {
        assert.deepEqual(JOURNAL_ARGS(7), [
            'journalctl', '--output=json',
            '--output-fields=MESSAGE,__REALTIME_TIMESTAMP,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER',
            '--since=-7d', '--no-pager', '--quiet', '_SYSTEMD_UNIT=systemd-oomd.service',
        ]);
    });

    it('keeps the span a whole number of days between 1 and 3650', () => {
        assert.ok(JOURNAL_ARGS(30).includes('--since=-30d'));
        assert.ok(JOURNAL_ARGS(0.5).includes('--since=-1d'));
        assert.ok(JOURNAL_ARGS(-3).includes('--since=-1d'));
        assert.ok(JOURNAL_ARGS(1e9).includes('--since=-3650d'));
        assert.ok(JOURNAL_ARGS(NaN).includes('--since=-7d'));
    });
});
