import assert from 'node:assert/strict';

import type { CgroupEntry } from '../../src/core/cgroup-entry.js';
import { PressureHistory } from '../../src/core/history.js';
import { buildInventory } from '../../src/core/inventory.js';
import { nameOfCgroup, serviceRows, victimLabel, victimSentence } from '../../src/core/view.js';

const M = '/user.slice/user-1000.slice/user@1000.service';
const ID = 'a'.repeat(64);

function entry(path: string, memoryCurrent: number | null, leaf = true): CgroupEntry {
    return {
        path, leaf, memoryCurrent, anon: null, file: null, pgscan: null, oomGroup: false, preference: 'none',
        ownerUid: 1000, frozen: null, populated: null, commands: [],
    };
}

describe('nameOfCgroup', () => {
    const names = new Map([[ID, 'jellyfin']]);
    const display = (id: string) => (id === 'firefox' ? 'Firefox' : id);

    it('names an app scope by its app', () => {
        assert.equal(nameOfCgroup(`${M}/app.slice/app-gnome-firefox-4242.scope`, M, names, display), 'Firefox');
    });

    it('names a container payload by podman\'s name, else by its unit', () => {
        assert.equal(nameOfCgroup(`${M}/app.slice/jellyfin.service/libpod-payload-${ID}`, M, names, display), 'jellyfin');
        assert.equal(nameOfCgroup(`${M}/app.slice/media.service/libpod-payload-${'b'.repeat(64)}`, M, names, display), 'media');
        assert.equal(nameOfCgroup(`${M}/user.slice/libpod-${'c'.repeat(64)}.scope/container`, M, names, display),
            'container cccccccccccc');
    });

    it('names a system service by its unit, unescaped and without its type', () => {
        assert.equal(nameOfCgroup('/system.slice/jellyfin.service', M, names, display), 'jellyfin');
        assert.equal(nameOfCgroup('/system.slice/system-getty.slice/getty\\x2dx.service', M, names, display), 'getty-x');
    });
});

describe('serviceRows', () => {
    it('lists the units directly in session.slice and background.slice, largest first, top N', () => {
        const rows = serviceRows([
            entry(`${M}/session.slice`, 900, false),
            entry(`${M}/session.slice/org.gnome.Shell@wayland.service`, 800),
            entry(`${M}/session.slice/pipewire.service`, 20),
            entry(`${M}/background.slice/localsearch-3.service`, 140),
            entry(`${M}/background.slice/localsearch-3.service/child`, 100),
            entry(`${M}/app.slice/app-gnome-firefox-1.scope`, 6000),
        ], M, 2);
        assert.deepEqual(rows.map(r => [r.name, r.memory]), [['org.gnome.Shell@wayland', 800], ['localsearch-3', 140]]);
    });
});

describe('victimLabel and victimSentence', () => {
    const entries = [
        entry(`${M}/app.slice`, 9000, false),
        entry(`${M}/app.slice/app-gnome-firefox-4242.scope`, 6000000000),
        entry(`${M}/app.slice/jellyfin.service`, 2500000000, false),
        entry(`${M}/app.slice/jellyfin.service/libpod-payload-${ID}`, 2500000000),
    ];
    const inv = buildInventory(entries, M, { topN: 5, transcoders: [], containerNames: new Map([[ID, 'jellyfin']]) });

    it('names the container that holds the victim, with its size', () => {
        const label = victimLabel(`${M}/app.slice/jellyfin.service/libpod-payload-${ID}`, inv, id => id);
        assert.deepEqual(label, { name: 'jellyfin', memory: 2500000000 });
        assert.equal(victimSentence(label), 'If systemd-oomd acts, it stops jellyfin (2.5 GB)');
    });

    it('names the app that holds the victim by its display name', () => {
        const label = victimLabel(`${M}/app.slice/app-gnome-firefox-4242.scope`, inv, () => 'Firefox');
        assert.equal(victimSentence(label), 'If systemd-oomd acts, it stops Firefox (6.0 GB)');
    });

    it('falls back to the unescaped unit name without a size', () => {
        const label = victimLabel('/system.slice/foo\\x2dbar.service', inv, id => id);
        assert.equal(victimSentence(label), 'If systemd-oomd acts, it stops foo-bar.service');
    });
});

describe('PressureHistory', () => {
    it('keeps only the last span of points, with the latest limit and warning level', () => {
        const h = new PressureHistory(600);
        for (let t = 0; t <= 1200; t++)
            h.add({ time: t, avg10: t % 100 }, 80, 40);
        assert.equal(h.points.length, 601);
        assert.equal(h.points[0]?.time, 600);
        assert.equal(h.points.at(-1)?.time, 1200);
        h.add({ time: 1201, avg10: null }, 60, 30);
        assert.deepEqual([h.limit, h.warning], [60, 30]);
    });

    /** One sample a second for 60 s from t = 1000, avg10 `value(t)`: how many of them change a `widthPx` graph's signature. */
    const repaintsInAMinute = (h: PressureHistory, widthPx: number, value: (t: number) => number): number => {
        const signatures: string[] = [];
        for (let t = 0; t < 60; t++) {
            h.add({ time: 1000 + t, avg10: value(t) }, 80, 40);
            signatures.push(h.signature(widthPx));
        }
        return signatures.filter((sig, i) => i === 0 || sig !== signatures[i - 1]).length;
    };

    it('signature: a 300 px graph of 600 s changes when avg10, the lines or the pixel column change, not at every sample', () => {
        const h = new PressureHistory(600);
        // avg10 moves every 2 s (the kernel's period).
        const repaints = repaintsInAMinute(h, 300, t => 10 + Math.floor(t / 2));
        assert.equal(repaints, 31, 'one repaint per 2 s (and one when the curve gets its second point), not 60');
        const steady = h.signature(300);
        h.add({ time: 1060, avg10: 39 }, 80, 40);
        const sameValue = h.signature(300);
        h.add({ time: 1060.5, avg10: 39 }, 80, 40);
        assert.equal(h.signature(300), sameValue, 'the same value in the same column: nothing to repaint');
        assert.notEqual(sameValue, steady);
        h.add({ time: 1060.6, avg10: 39 }, 70, 35);
        assert.notEqual(h.signature(300), sameValue, 'a new limit is drawn');
    });

    it('signature: a graph wider than one column per 2 s (680 px of 600 s) moves once per 2 s, a new value waits for the next step', () => {
        const h = new PressureHistory(600);
        // avg10 moves every 2 s, out of phase with the 2 s steps (at odd seconds).
        const repaints = repaintsInAMinute(h, 680, t => 10 + Math.floor((t + 1) / 2));
        assert.equal(repaints, 31, 'one repaint per 2 s step (and one when the curve gets its second point), not 60');
        // A new value in the middle of a step: drawn at the next step, not at once.
        const before = h.signature(680);
        h.add({ time: 1060, avg10: 90 }, 80, 40);
        const stepStart = h.signature(680);
        assert.notEqual(stepStart, before, 'a new step: repainted');
        h.add({ time: 1061, avg10: 95 }, 80, 40);
        assert.equal(h.signature(680), stepStart, 'the value read mid-step waits');
        h.add({ time: 1062, avg10: 95 }, 80, 40);
        assert.notEqual(h.signature(680), stepStart, 'and is drawn at the next step');
        // New limit and warning lines are drawn at once.
        const steady = h.signature(680);
        h.add({ time: 1062.5, avg10: 95 }, 70, 35);
        assert.notEqual(h.signature(680), steady, 'a new limit is drawn at once');
    });
});
