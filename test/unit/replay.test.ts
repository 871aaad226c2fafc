import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

import {
    formatReplay, formatReplayEvent, formatReplayRecord, groupByTime, parseReplay, runReplay, shortName,
    type ReplayEvent, type ReplayRecord,
} from '../../src/core/replay.js';
import {
    dipIncident, INCIDENT_FIREFOX, INCIDENT_PAYLOAD, seedIncident, sustainedStall, burst, TRACE_BYSTANDER, TRACE_SLICE, TRACE_THRASHER,
} from '../../src/core/traces.js';

const APP = TRACE_SLICE;
const SESSION = '/user.slice/user-1000.slice/user@1000.service/session.slice';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/replay/${name}`, import.meta.url), 'utf8');
const lines = (events: readonly ReplayEvent[]) => events.map(formatReplayEvent);
const ofKind = <K extends ReplayEvent['kind']>(events: readonly ReplayEvent[], kind: K) =>
    events.filter((e): e is Extract<ReplayEvent, { kind: K }> => e.kind === kind);

describe('replay', () => {
    describe('parseReplay', () => {
        it('reads one record per line, skipping blank lines and # comments', () => {
            const text = [
                '# a comment',
                `{"t": 0, "cgroup": "${APP}", "full_avg10": 1.5, "full_total": 100, "pgscan": 7, "memory_current": 4096}`,
                '',
                `{"t": 1.25, "cgroup": "${APP}/a.scope", "full_avg10": 0, "full_total": 0, "pgscan": 0, "memory_current": 1,` +
                    ' "oom_group": true, "preference": "avoid", "owner_uid": 0, "extra": "ignored"}',
                `{"t": 2, "cgroup": "${APP}/a.scope", "killed": true}`,
            ].join('\n');
            const { records, errors } = parseReplay(text);
            assert.deepEqual(errors, []);
            assert.deepEqual(records, [
                { t: 0, cgroup: APP, full_avg10: 1.5, full_total: 100, pgscan: 7, memory_current: 4096 },
                { t: 1.25, cgroup: `${APP}/a.scope`, full_avg10: 0, full_total: 0, pgscan: 0, memory_current: 1,
                    oom_group: true, preference: 'avoid', owner_uid: 0 },
                { t: 2, cgroup: `${APP}/a.scope`, killed: true },
            ]);
        });

        it('reports bad lines with their number and reason, and keeps the good ones', () => {
            const good = `{"t": 0, "cgroup": "${APP}", "full_avg10": 1, "full_total": 1, "pgscan": 1, "memory_current": 1}`;
            const bad = [
                ['{not json', 'not valid JSON'],
                ['[1, 2]', 'not a JSON object'],
                ['42', 'not a JSON object'],
                [`{"cgroup": "${APP}"}`, '"t" must be a number (seconds)'],
                ['{"t": 1, "cgroup": "app.slice"}', '"cgroup" must be a path starting with /'],
                [`{"t": 1, "cgroup": "${APP}", "full_avg10": 1}`, 'missing "full_total", "pgscan", "memory_current"'],
                [`{"t": 1, "cgroup": "${APP}", "full_avg10": 101, "full_total": 1, "pgscan": 1, "memory_current": 1}`,
                    '"full_avg10" must be at most 100'],
                [`{"t": 1, "cgroup": "${APP}", "full_avg10": -1, "full_total": 1, "pgscan": 1, "memory_current": 1}`,
                    '"full_avg10" must be a number ≥ 0'],
                [`{"t": 1, "cgroup": "${APP}", "full_avg10": 1, "full_total": 1.5, "pgscan": 1, "memory_current": 1}`,
                    '"full_total" must be an integer'],
                [`{"t": 1, "cgroup": "${APP}", "full_avg10": 1, "full_total": 1, "pgscan": "7", "memory_current": 1}`,
                    '"pgscan" must be a number ≥ 0'],
                [`{"t": 1, "cgroup": "${APP}", "killed": false}`, '"killed" must be true when present'],
                [`{"t": 1, "cgroup": "${APP}", "killed": true, "pgscan": 3}`, 'missing "full_avg10", "full_total", "memory_current"'],
                [`{"t": 1, "cgroup": "${APP}", "full_avg10": 1, "full_total": 1, "pgscan": 1, "memory_current": 1, "preference": "keep"}`,
                    '"preference" must be "none", "avoid" or "omit"'],
                [`{"t": 1, "cgroup": "${APP}", "full_avg10": 1, "full_total": 1, "pgscan": 1, "memory_current": 1, "oom_group": 1}`,
                    '"oom_group" must be true or false'],
                [`{"t": 1, "cgroup": "${APP}", "full_avg10": 1, "full_total": 1, "pgscan": 1, "memory_current": 1, "owner_uid": -1}`,
                    '"owner_uid" must be an integer ≥ 0'],
                [good, `${APP} appears twice at t=0`],
            ];
            const text = [good, ...bad.map(b => b[0])].join('\n');
            const { records, errors } = parseReplay(text);
            assert.equal(records.length, 1);
            assert.deepEqual(errors, bad.map(([, message], i) => ({ line: i + 2, message })));
        });

        it('never throws, and accounts for every line as a record or an error', () => {
            fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.json()), { maxLength: 20 }), ls => {
                const text = ls.map(l => l.replace(/\n/g, ' ')).join('\n');
                const { records, errors } = parseReplay(text);
                const counted = text.split('\n').filter(l => l.trim() !== '' && !l.trim().startsWith('#')).length;
                assert.equal(records.length + errors.length, counted);
            }));
        });

        it('round-trips records through formatReplay', () => {
            const records = seedIncident();
            const text = formatReplay(records);
            assert.deepEqual(parseReplay(text), { records, errors: [] });
            assert.equal(formatReplayRecord({ t: 3, cgroup: APP, killed: true }), `{"t":3,"cgroup":"${APP}","killed":true}`);
        });
    });

    describe('the sample files', () => {
        it('are what the trace generators produce', () => {
            for (const [name, records] of [
                ['seed-incident.jsonl', seedIncident()],
                ['dip-resets-timer.jsonl', dipIncident()],
                ['burst-5s.jsonl', burst(5)],
            ] as const) {
                const parsed = parseReplay(fixture(name));
                assert.deepEqual(parsed.errors, [], name);
                assert.deepEqual(parsed.records, records, name);
            }
        });

        it('seed incident: warns, starts the timer, predicts the Jellyfin payload at 92.16 %, and the kill matches', () => {
            const events = runReplay(parseReplay(fixture('seed-incident.jsonl')).records);
            assert.deepEqual(lines(events), [
                '  19.0 s  amber           app.slice: pressure at the warning level',
                '  33.0 s  warning         app.slice: "systemd-oomd will stop libpod-payload-4f3c2a1b9e8d in about 25 seconds" (amber since 19.0 s)',
                '  37.0 s  timer-start     app.slice: full avg10 80.44% > 80.00%, oomd\'s timer starts',
                '  57.0 s  predicted-kill  app.slice: oomd would stop libpod-payload-4f3c2a1b9e8d (full avg10 92.16%)',
                '  58.0 s  killed          oomd stopped libpod-payload-4f3c2a1b9e8d in app.slice (as predicted)',
                '  61.0 s  timer-reset     app.slice: full avg10 72.18% ≤ 80.00%, oomd\'s timer resets',
                ' 127.0 s  end             episode over (notified, 16 updates)',
            ]);
            const [killed] = ofKind(events, 'killed');
            assert.deepEqual(killed, { kind: 'killed', time: 58, cgroup: INCIDENT_PAYLOAD, slice: APP, predicted: INCIDENT_PAYLOAD, notified: true });
            const [predicted] = ofKind(events, 'predicted-kill');
            const [start] = ofKind(events, 'timer-start');
            assert.equal((predicted?.time ?? 0) - (start?.time ?? 0), 20);
        });

        it('5 s burst: amber, no notification, no timer', () => {
            assert.deepEqual(lines(runReplay(parseReplay(fixture('burst-5s.jsonl')).records)), [
                '  12.0 s  amber           app.slice: pressure at the warning level',
                '  76.0 s  end             episode over (no notification)',
            ]);
        });

        it('a dip to or below the limit resets the timer: the kill comes 20 s after the re-crossing', () => {
            const events = runReplay(parseReplay(fixture('dip-resets-timer.jsonl')).records);
            assert.deepEqual(events.map(e => `${e.time}:${e.kind}`), [
                '12:amber', '16:warning', '27:timer-start', '45:timer-reset', '49:timer-start', '69:predicted-kill', '70:killed',
                '73:timer-reset', '141:end',
            ]);
            assert.equal(ofKind(events, 'warning').length, 1);
        });
    });

    describe('runReplay', () => {
        it('drives the real engine: the timer starts at the first sample above the limit', () => {
            const records = sustainedStall(100);
            const firstOver = records.find(r => r.cgroup === APP && (r.full_avg10 ?? 0) > 80);
            const [start] = ofKind(runReplay(records), 'timer-start');
            assert.equal(start?.time, firstOver?.t);
        });

        it('predicts a kill every 15 s while pressure stays above the limit (oomd\'s post-action delay)', () => {
            const kills = ofKind(runReplay(sustainedStall(100, { stallSec: 80 })), 'predicted-kill');
            // The stall ends at 90 s, but avg10 is still above 80 % at 92 s: oomd would act again.
            assert.deepEqual(kills.map(k => k.time), [47, 62, 77, 92]);
            // While the stall lasts the thrasher scans hardest; after it nothing scans and the bigger leaf is first.
            assert.deepEqual(kills.map(k => k.victim), [TRACE_THRASHER, TRACE_THRASHER, TRACE_THRASHER, TRACE_BYSTANDER]);
            // Without assuming oomd acts, the rule fires once and stays due.
            const once = ofKind(runReplay(sustainedStall(100, { stallSec: 80 }), { assumeOomdActs: false }), 'predicted-kill');
            assert.deepEqual(once.map(k => k.time), [47]);
        });

        it('takes a killed marker as oomd\'s action: the next kill is due 15 s after it', () => {
            const records: ReplayRecord[] = [...sustainedStall(100, { stallSec: 80 }), { t: 50, cgroup: TRACE_THRASHER, killed: true }];
            const events = runReplay(records, { assumeOomdActs: false });
            // Without assumed actions the rule stays due after 65 s: one prediction per rising edge.
            assert.deepEqual(ofKind(events, 'predicted-kill').map(k => k.time), [47, 65]);
            const [killed] = ofKind(events, 'killed');
            assert.deepEqual(killed, { kind: 'killed', time: 50, cgroup: TRACE_THRASHER, slice: APP, predicted: TRACE_THRASHER, notified: true });
        });

        it('says when the kill differs from the prediction', () => {
            const records = seedIncident().map(r => (r.killed ? { ...r, cgroup: INCIDENT_FIREFOX } : r));
            const [killed] = ofKind(runReplay(records), 'killed');
            assert.ok(killed);
            assert.equal(formatReplayEvent(killed),
                '  58.0 s  killed          oomd stopped app-gnome-firefox-4242.scope in app.slice (predicted libpod-payload-4f3c2a1b9e8d)');
        });

        it('does not depend on the order of the lines', () => {
            const records = seedIncident();
            const shuffled = [...records].reverse();
            assert.deepEqual(runReplay(shuffled), runReplay(records));
            assert.deepEqual(groupByTime(shuffled).map(g => g.time), groupByTime(records).map(g => g.time));
        });

        it('takes the monitored cgroups as a list or a test, and the policy from the caller', () => {
            const records = sustainedStall(100);
            assert.deepEqual(runReplay(records, { monitored: [] }), []);
            assert.deepEqual(runReplay(records, { monitored: p => p === APP }), runReplay(records));
            // Monitoring the thrashing leaf too: it is its own victim.
            const both = ofKind(runReplay(records, { monitored: [APP, TRACE_THRASHER] }), 'timer-start');
            assert.deepEqual(both.map(e => e.slice).sort(), [APP, TRACE_THRASHER].sort());
            // A 60 % / 10 s policy acts much sooner than 80 % / 20 s.
            const strict = ofKind(runReplay(records, { policy: { limitPercent: 60, durationSec: 10 } }), 'predicted-kill');
            const fedora = ofKind(runReplay(records), 'predicted-kill');
            assert.ok((strict[0]?.time ?? Infinity) + 15 < (fedora[0]?.time ?? 0), `${strict[0]?.time} vs ${fedora[0]?.time}`);
        });

        it('picks each slice\'s victim among its own descendants, honouring avoid, omit and oom groups', () => {
            const rec = (t: number, cgroup: string, avg10: number, pgscan: number, extra: Partial<ReplayRecord> = {}): ReplayRecord =>
                ({ t, cgroup, full_avg10: avg10, full_total: t * 1_000_000, pgscan, memory_current: 1_000_000, ...extra });
            const records: ReplayRecord[] = [];
            for (let t = 0; t <= 25; t++) {
                records.push(
                    rec(t, APP, 90, t * 1000),
                    rec(t, `${APP}/avoided.scope`, 0, t * 900, { preference: 'avoid' }),
                    rec(t, `${APP}/omitted.scope`, 0, t * 800, { preference: 'omit' }),
                    rec(t, `${APP}/group.service`, 0, t * 10, { oom_group: true }),
                    rec(t, `${APP}/group.service/hot`, 0, t * 5000),
                    rec(t, SESSION, 10, 0),
                    rec(t, `${SESSION}/shell.service`, 0, t * 99_999),
                );
            }
            const [kill] = ofKind(runReplay(records), 'predicted-kill');
            assert.equal(kill?.time, 20);
            assert.equal(kill.victim, `${APP}/group.service`);
            // Another user's avoid is not honoured.
            const foreign = records.map(r => (r.cgroup === `${APP}/avoided.scope` ? { ...r, owner_uid: 1001 } : r));
            assert.equal(ofKind(runReplay(foreign), 'predicted-kill')[0]?.victim, `${APP}/avoided.scope`);
        });

        it('follows the episode settings: disabled means no warning and an unnotified kill', () => {
            const events = runReplay(seedIncident(), {
                episode: { enabled: false, leadWindowSec: 45, confirmSec: 4, quietSec: 60, warnFraction: 0.5 },
            });
            assert.deepEqual(events.map(e => e.kind), ['timer-start', 'predicted-kill', 'killed', 'timer-reset']);
            assert.equal(ofKind(events, 'killed')[0]?.notified, false);
        });
    });

    describe('formatReplayEvent', () => {
        it('writes one stable line per kind', () => {
            const events: ReplayEvent[] = [
                { kind: 'amber', time: 1, slice: APP },
                { kind: 'warning', time: 5, slice: APP, amberAt: 1, secondsLeft: 33, victim: 'x', body: 'systemd-oomd will stop x in about 35 seconds' },
                { kind: 'timer-start', time: 20, slice: SESSION, avg10: 80.01, limitPercent: 80 },
                { kind: 'timer-reset', time: 30, slice: SESSION, avg10: 80, limitPercent: 80 },
                { kind: 'predicted-kill', time: 40.5, slice: APP, avg10: 90, victim: null },
                { kind: 'killed', time: 41, cgroup: `${APP}/app-org.gnome.Terminal\\x2d1.scope`, slice: null, predicted: null, notified: true },
                { kind: 'end', time: 1234, shown: true, updates: 1 },
                { kind: 'end', time: 1234, shown: true, updates: 2 },
            ];
            assert.deepEqual(events.map(formatReplayEvent), [
                '   1.0 s  amber           app.slice: pressure at the warning level',
                '   5.0 s  warning         app.slice: "systemd-oomd will stop x in about 35 seconds" (amber since 1.0 s)',
                '  20.0 s  timer-start     session.slice: full avg10 80.01% > 80.00%, oomd\'s timer starts',
                '  30.0 s  timer-reset     session.slice: full avg10 80.00% ≤ 80.00%, oomd\'s timer resets',
                '  40.5 s  predicted-kill  app.slice: oomd would stop nothing (no candidate) (full avg10 90.00%)',
                '  41.0 s  killed          oomd stopped app-org.gnome.Terminal-1.scope (no prediction)',
                '1234.0 s  end             episode over (notified, 1 update)',
                '1234.0 s  end             episode over (notified, 2 updates)',
            ]);
            assert.equal(shortName('/'), '/');
        });
    });
});
