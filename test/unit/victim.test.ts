import assert from 'node:assert/strict';
import fc from 'fast-check';

import type { CgroupEntry, OomdPreference } from '../../src/core/cgroup-entry.js';
import { effectivePreference, isBelow, pgscanDelta, pickVictim, rankCandidates } from '../../src/core/victim.js';

const APP = '/user.slice/user-1000.slice/user@1000.service/app.slice';
const SESSION = '/user.slice/user-1000.slice/user@1000.service/session.slice';
const JELLYFIN = `${APP}/jellyfin.service`;
const PAYLOAD = `${JELLYFIN}/libpod-payload-4f3c2a1b9e8d`;
const FIREFOX = `${APP}/app-gnome-firefox-4242.scope`;
const EVOLUTION = `${APP}/app-gnome-org.gnome.Evolution-5151.scope`;

function entry(path: string, over: Partial<CgroupEntry> = {}): CgroupEntry {
    return {
        path, leaf: true, memoryCurrent: 100_000_000, anon: null, file: null, pgscan: 1000, oomGroup: false,
        preference: 'none', ownerUid: 1000, frozen: false, populated: true, commands: [], ...over,
    };
}

const paths = (cs: readonly { path: string }[]) => cs.map(c => c.path);
const NO_PREVIOUS: ReadonlyMap<string, number> = new Map();

describe('victim rule (systemd-oomd v257 pressure kill)', () => {
    describe('candidates', () => {
        it('are the leaves below the monitored cgroup; inner cgroups and other slices are not', () => {
            const entries = [
                entry(APP, { leaf: false }),
                entry(JELLYFIN, { leaf: false }),
                entry(PAYLOAD),
                entry(FIREFOX),
                entry(`${SESSION}/org.gnome.Shell@wayland.service`),
                entry(SESSION, { leaf: false }),
            ];
            assert.deepEqual(paths(rankCandidates(APP, entries, NO_PREVIOUS, 1000)).sort(), [FIREFOX, PAYLOAD].sort());
        });

        it('do not match a sibling whose name merely starts with the monitored path', () => {
            const entries = [entry(APP, { leaf: false }), entry(`${APP}-other.slice/x.scope`), entry(FIREFOX)];
            assert.deepEqual(paths(rankCandidates(APP, entries, NO_PREVIOUS, 1000)), [FIREFOX]);
        });

        it('include a childless monitored cgroup as its own candidate, and not one with children', () => {
            assert.deepEqual(paths(rankCandidates(APP, [entry(APP)], NO_PREVIOUS, 1000)), [APP]);
            assert.deepEqual(paths(rankCandidates(APP, [entry(APP, { leaf: false })], NO_PREVIOUS, 1000)), []);
            assert.deepEqual(paths(rankCandidates(APP, [], NO_PREVIOUS, 1000)), []);
        });

        it('stop at a cgroup with memory.oom.group = 1: it is one candidate, nothing below it is', () => {
            const entries = [
                entry(APP, { leaf: false }),
                entry(JELLYFIN, { leaf: false, oomGroup: true, pgscan: 10 }),
                entry(PAYLOAD, { pgscan: 99_999 }),
                entry(`${JELLYFIN}/inner`, { leaf: false, oomGroup: true }),
                entry(`${JELLYFIN}/inner/leaf`),
                entry(FIREFOX),
            ];
            const ranked = rankCandidates(APP, entries, NO_PREVIOUS, 1000);
            assert.deepEqual(paths(ranked).sort(), [FIREFOX, JELLYFIN].sort());
            assert.ok(!paths(ranked).includes(PAYLOAD));
        });

        it('skip a candidate with pgscan 0 and memory.current 0 (unreadable counts as 0), but keep one with either', () => {
            const entries = [
                entry(`${APP}/empty.scope`, { pgscan: 0, memoryCurrent: 0 }),
                entry(`${APP}/unreadable.scope`, { pgscan: null, memoryCurrent: null }),
                entry(`${APP}/idle.scope`, { pgscan: 0, memoryCurrent: 1 }),
                entry(`${APP}/scanned.scope`, { pgscan: 1, memoryCurrent: 0 }),
            ];
            assert.deepEqual(paths(rankCandidates(APP, entries, NO_PREVIOUS, 1000)), [`${APP}/scanned.scope`, `${APP}/idle.scope`]);
        });
    });

    describe('preference and the ownership rule', () => {
        const prev = new Map([[FIREFOX, 0], [EVOLUTION, 0], [PAYLOAD, 0]]);

        it('removes omit and puts avoid after every none, whatever its pgscan', () => {
            const entries = [
                entry(FIREFOX, { pgscan: 100_000, preference: 'avoid' }),
                entry(EVOLUTION, { pgscan: 10 }),
                entry(PAYLOAD, { pgscan: 1_000_000, preference: 'omit' }),
            ];
            const ranked = rankCandidates(APP, entries, prev, 1000);
            assert.deepEqual(paths(ranked), [EVOLUTION, FIREFOX]);
            assert.deepEqual(ranked.map(c => c.preference), ['none', 'avoid']);
            assert.equal(pickVictim(APP, entries, prev, 1000)?.path, EVOLUTION);
        });

        it('still picks an avoided candidate when nothing else is left', () => {
            const entries = [entry(FIREFOX, { preference: 'avoid' }), entry(EVOLUTION, { preference: 'omit' })];
            assert.equal(pickVictim(APP, entries, prev, 1000)?.path, FIREFOX);
        });

        it('honours a preference on a root-owned candidate, and on one owned by the monitored cgroup\'s owner', () => {
            for (const [owner, monitoredOwner] of [[0, 1000], [0, 0], [1000, 1000], [0, null]] as const) {
                const entries = [entry(FIREFOX, { pgscan: 500, preference: 'avoid', ownerUid: owner }), entry(EVOLUTION, { pgscan: 5 })];
                assert.equal(pickVictim(APP, entries, prev, monitoredOwner)?.path, EVOLUTION, `owner ${owner} / ${monitoredOwner}`);
                const omitted = [entry(FIREFOX, { preference: 'omit', ownerUid: owner }), entry(EVOLUTION)];
                assert.deepEqual(paths(rankCandidates(APP, omitted, prev, monitoredOwner)), [EVOLUTION]);
            }
        });

        it('treats a preference as none when the candidate is owned by another user, or its owner is unknown', () => {
            for (const [owner, monitoredOwner] of [[1001, 1000], [1000, 0], [1000, null], [null, 1000]] as const) {
                const entries = [entry(FIREFOX, { pgscan: 500, preference: 'avoid', ownerUid: owner }), entry(EVOLUTION, { pgscan: 5 })];
                assert.equal(pickVictim(APP, entries, prev, monitoredOwner)?.path, FIREFOX, `avoid, owner ${owner} / ${monitoredOwner}`);
                const omitted = [entry(FIREFOX, { pgscan: 500, preference: 'omit', ownerUid: owner }), entry(EVOLUTION, { pgscan: 5 })];
                assert.deepEqual(paths(rankCandidates(APP, omitted, prev, monitoredOwner)), [FIREFOX, EVOLUTION],
                    `omit, owner ${owner} / ${monitoredOwner}`);
            }
        });

        it('effectivePreference spells the rule out', () => {
            const e = (preference: OomdPreference, ownerUid: number | null) => entry(FIREFOX, { preference, ownerUid });
            assert.equal(effectivePreference(e('none', 0), 1000), 'none');
            assert.equal(effectivePreference(e('avoid', 0), 1000), 'avoid');
            assert.equal(effectivePreference(e('omit', 1000), 1000), 'omit');
            assert.equal(effectivePreference(e('omit', 1001), 1000), 'none');
            assert.equal(effectivePreference(e('avoid', null), null), 'none');
        });

        it('does not inherit: avoid on a quadlet\'s unit leaves its libpod-payload leaf unprotected', () => {
            const entries = [
                entry(APP, { leaf: false }),
                entry(JELLYFIN, { leaf: false, preference: 'avoid', pgscan: 2_000_000, memoryCurrent: 904_000_000 }),
                entry(PAYLOAD, { pgscan: 2_000_000, memoryCurrent: 900_000_000 }),
                entry(FIREFOX, { pgscan: 9_900_000, memoryCurrent: 2_100_000_000 }),
            ];
            const previous = new Map([[JELLYFIN, 1_990_000], [PAYLOAD, 1_990_000], [FIREFOX, 9_899_000]]);
            const victim = pickVictim(APP, entries, previous, 1000);
            assert.equal(victim?.path, PAYLOAD);
            assert.equal(victim.preference, 'none');
        });

        it('protects a plain service whose own cgroup is the leaf: oomd takes the next app', () => {
            const service = `${APP}/jellyfin-native.service`;
            const entries = [
                entry(APP, { leaf: false }),
                entry(service, { preference: 'avoid', pgscan: 2_000_000 }),
                entry(FIREFOX, { pgscan: 9_900_000 }),
            ];
            const previous = new Map([[service, 1_990_000], [FIREFOX, 9_899_000]]);
            assert.deepEqual(paths(rankCandidates(APP, entries, previous, 1000)), [FIREFOX, service]);
        });
    });

    describe('order by pgscan delta, then memory.current', () => {
        it('picks the Jellyfin payload scanning hardest (+26209) over a bigger Firefox (+5184) and Evolution (+950)', () => {
            const entries = [
                entry(APP, { leaf: false, pgscan: 50_000_000, memoryCurrent: 3_754_000_000 }),
                entry(JELLYFIN, { leaf: false, preference: 'avoid', pgscan: 2_435_823, memoryCurrent: 904_000_000 }),
                entry(FIREFOX, { pgscan: 10_044_348, memoryCurrent: 2_100_000_000 }),
                entry(EVOLUTION, { pgscan: 344_650, memoryCurrent: 450_000_000 }),
                entry(PAYLOAD, { pgscan: 2_435_823, memoryCurrent: 900_000_000 }),
            ];
            const previous = new Map([
                [APP, 49_967_657], [JELLYFIN, 2_409_614], [FIREFOX, 10_039_164], [EVOLUTION, 343_700], [PAYLOAD, 2_409_614],
            ]);
            const ranked = rankCandidates(APP, entries, previous, 1000);
            assert.deepEqual(ranked.map(c => [c.path, c.pgscanDelta]), [[PAYLOAD, 26_209], [FIREFOX, 5_184], [EVOLUTION, 950]]);
            assert.equal(pickVictim(APP, entries, previous, 1000)?.path, PAYLOAD);
        });

        it('ranks by the delta, not by the cumulative counter or the size', () => {
            const entries = [
                entry(FIREFOX, { pgscan: 9_000_000, memoryCurrent: 3_000_000_000 }),
                entry(EVOLUTION, { pgscan: 60_000, memoryCurrent: 100_000_000 }),
            ];
            const previous = new Map([[FIREFOX, 8_999_000], [EVOLUTION, 50_000]]);
            assert.deepEqual(paths(rankCandidates(APP, entries, previous, 1000)), [EVOLUTION, FIREFOX]);
        });

        it('counts a cgroup oomd has not seen before from 0, and a counter that went backwards from 0', () => {
            assert.equal(pgscanDelta(5000, undefined), 5000);
            assert.equal(pgscanDelta(5000, 4000), 1000);
            assert.equal(pgscanDelta(300, 4000), 300);
            assert.equal(pgscanDelta(null, 4000), 0);
            assert.equal(pgscanDelta(4000, 4000), 0);
            const entries = [entry(FIREFOX, { pgscan: 9_000_000 }), entry(EVOLUTION, { pgscan: 600 })];
            // Firefox is new to oomd: its whole cumulative pgscan counts.
            assert.deepEqual(paths(rankCandidates(APP, entries, new Map([[EVOLUTION, 0]]), 1000)), [FIREFOX, EVOLUTION]);
            // Firefox's cgroup was re-created: 500 since 0 beats Evolution's 100.
            const recreated = [entry(FIREFOX, { pgscan: 500 }), entry(EVOLUTION, { pgscan: 600 })];
            const ranked = rankCandidates(APP, recreated, new Map([[FIREFOX, 9_000_000], [EVOLUTION, 500]]), 1000);
            assert.deepEqual(ranked.map(c => [c.path, c.pgscanDelta]), [[FIREFOX, 500], [EVOLUTION, 100]]);
        });

        it('breaks a delta tie by memory.current, and a full tie by the order of the entries', () => {
            const previous = new Map([[FIREFOX, 0], [EVOLUTION, 0], [PAYLOAD, 0]]);
            const tie = [
                entry(EVOLUTION, { pgscan: 100, memoryCurrent: 450_000_000 }),
                entry(FIREFOX, { pgscan: 100, memoryCurrent: 2_100_000_000 }),
            ];
            assert.deepEqual(paths(rankCandidates(APP, tie, previous, 1000)), [FIREFOX, EVOLUTION]);
            const full = [entry(EVOLUTION, { pgscan: 100 }), entry(FIREFOX, { pgscan: 100 })];
            assert.deepEqual(paths(rankCandidates(APP, full, previous, 1000)), [EVOLUTION, FIREFOX]);
            assert.deepEqual(paths(rankCandidates(APP, [...full].reverse(), previous, 1000)), [FIREFOX, EVOLUTION]);
            // Within avoid, the same order applies.
            const avoided = [
                entry(EVOLUTION, { pgscan: 10, preference: 'avoid' }),
                entry(FIREFOX, { pgscan: 900, preference: 'avoid' }),
                entry(PAYLOAD, { pgscan: 1 }),
            ];
            assert.deepEqual(paths(rankCandidates(APP, avoided, previous, 1000)), [PAYLOAD, FIREFOX, EVOLUTION]);
        });
    });

    describe('pickVictim', () => {
        it('is null without candidates', () => {
            assert.equal(pickVictim(APP, [entry(APP, { leaf: false })], NO_PREVIOUS, 1000), null);
            assert.equal(pickVictim(APP, [entry(`${APP}/x.scope`, { pgscan: 0, memoryCurrent: 0 })], NO_PREVIOUS, 1000), null);
        });

        it('passes over a candidate known to hold no process, as oomd moves on when a kill hits nothing', () => {
            const entries = [entry(FIREFOX, { pgscan: 900, populated: false }), entry(EVOLUTION, { pgscan: 10 })];
            const previous = new Map([[FIREFOX, 0], [EVOLUTION, 0]]);
            assert.deepEqual(paths(rankCandidates(APP, entries, previous, 1000)), [FIREFOX, EVOLUTION]);
            assert.equal(pickVictim(APP, entries, previous, 1000)?.path, EVOLUTION);
            // populated unknown (null) counts as populated.
            assert.equal(pickVictim(APP, [entry(FIREFOX, { populated: null })], previous, 1000)?.path, FIREFOX);
        });
    });

    it('isBelow is strict and respects path components', () => {
        assert.equal(isBelow(`${APP}/x.scope`, APP), true);
        assert.equal(isBelow(`${APP}/x.scope`, `${APP}/`), true);
        assert.equal(isBelow(APP, APP), false);
        assert.equal(isBelow(`${APP}x/y`, APP), false);
        assert.equal(isBelow('/a', '/'), true);
    });

    it('property: candidates lie below the monitored cgroup, are leaves or oom groups, honour omit, and come sorted', () => {
        const names = ['a', 'b', 'c'];
        const arbEntry = fc.record({
            path: fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }).map(p => `${APP}/${p.join('/')}`),
            pgscan: fc.option(fc.nat(1000)),
            memoryCurrent: fc.option(fc.nat(1000)),
            oomGroup: fc.boolean(),
            preference: fc.constantFrom<OomdPreference>('none', 'avoid', 'omit'),
            ownerUid: fc.constantFrom(0, 1000, 1001),
        });
        fc.assert(fc.property(fc.uniqueArray(arbEntry, { selector: e => e.path, maxLength: 12 }), fc.nat(1000), (raw, prevScan) => {
            const entries = raw.map(r => entry(r.path, {
                ...r, leaf: !raw.some(o => isBelow(o.path, r.path)),
            }));
            const previous = new Map(entries.map(e => [e.path, prevScan]));
            const ranked = rankCandidates(APP, entries, previous, 1000);
            for (const c of ranked) {
                assert.ok(isBelow(c.path, APP));
                assert.ok(c.entry.leaf || c.entry.oomGroup);
                assert.notEqual(effectivePreference(c.entry, 1000), 'omit');
                assert.ok(!entries.some(o => o.oomGroup && isBelow(c.path, o.path)));
            }
            for (let i = 1; i < ranked.length; i++) {
                const [a, b] = [ranked[i - 1], ranked[i]];
                assert.ok(a && b);
                const key = (c: typeof a) => [c.preference === 'avoid' ? 1 : 0, -c.pgscanDelta, -(c.entry.memoryCurrent ?? 0)];
                const [ka, kb] = [key(a), key(b)];
                const cmp = ka.findIndex((v, j) => v !== kb[j]);
                assert.ok(cmp === -1 || (ka[cmp] as number) < (kb[cmp] as number));
            }
        }));
    });
});
