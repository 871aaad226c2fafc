import assert from 'node:assert/strict';

import type { SliceStatus, Snapshot } from '../../src/core/engine.js';
import {
    accessibleText, describeCountdown, describeSlice, formatBytes, formatPercent, formatSeconds, levelName,
    panelText, sliceName, unescapeUnitName,
} from '../../src/core/format.js';
import { fill, setTranslator } from '../../src/core/i18n.js';
import type { Level } from '../../src/core/level.js';
import type { OomdVerdict } from '../../src/core/oomd.js';

const USER = '/user.slice/user-1000.slice/user@1000.service';
const APP = `${USER}/app.slice`;

function verdict(v: Partial<OomdVerdict>): OomdVerdict {
    return { over: false, overFor: 0, target: false, reclaimActive: true, inPostActionDelay: false, secondsLeft: null, wouldAct: false, ...v };
}

function status(s: Partial<SliceStatus>): SliceStatus {
    return {
        path: APP, policy: { limitPercent: 80, durationSec: 20 }, avg10: 10, stall: 0, projectedKillIn: null, error: null,
        verdict: verdict({}), ...s,
    };
}

function snapshot(level: Level, worst: SliceStatus | null, reason: string | null = null): Snapshot {
    return { time: 0, level, reason, slices: worst ? [worst] : [], worst };
}

describe('formatPercent', () => {
    it('rounds to a whole percentage', () => {
        assert.equal(formatPercent(62.4), '62%');
        assert.equal(formatPercent(62.5), '63%');
        assert.equal(formatPercent(0), '0%');
        assert.equal(formatPercent(100), '100%');
        assert.equal(formatPercent(79.99), '80%');
    });
});

describe('formatSeconds', () => {
    it('rounds up, says "about", and uses the singular only for one', () => {
        assert.equal(formatSeconds(12), 'about 12 seconds');
        assert.equal(formatSeconds(11.2), 'about 12 seconds');
        assert.equal(formatSeconds(1), 'about 1 second');
        assert.equal(formatSeconds(0.3), 'about 1 second');
        assert.equal(formatSeconds(1.01), 'about 2 seconds');
        assert.equal(formatSeconds(0), 'about 0 seconds');
        assert.equal(formatSeconds(-3), 'about 0 seconds');
    });

    it('goes through the installed translator with the count', () => {
        const calls: [string, string, number][] = [];
        setTranslator({
            gettext: m => m,
            ngettext: (one, many, n) => {
                calls.push([one, many, n]);
                return n === 1 ? 'environ %d seconde' : 'environ %d secondes';
            },
        });
        try {
            assert.equal(formatSeconds(4.5), 'environ 5 secondes');
            assert.deepEqual(calls, [['about %d second', 'about %d seconds', 5]]);
        } finally {
            setTranslator(null);
        }
        assert.equal(formatSeconds(4.5), 'about 5 seconds');
    });
});

describe('formatBytes', () => {
    it('uses decimal units', () => {
        assert.equal(formatBytes(0), '0 B');
        assert.equal(formatBytes(999), '999 B');
        assert.equal(formatBytes(1000), '1 kB');
        assert.equal(formatBytes(4096), '4 kB');
        assert.equal(formatBytes(450 * 1e6), '450 MB');
        assert.equal(formatBytes(1_500_000), '2 MB');
        assert.equal(formatBytes(2.5e9), '2.5 GB');
        assert.equal(formatBytes(11.8e9), '11.8 GB');
        assert.equal(formatBytes(1e9), '1.0 GB');
    });
});

describe('unescapeUnitName', () => {
    it('unescapes systemd\'s \\x2d for "-"', () => {
        assert.equal(unescapeUnitName('google\\x2dchrome'), 'google-chrome');
        assert.equal(unescapeUnitName('app-dbus\\x2d:1.2\\x2dorg.gnome.Nautilus'), 'app-dbus-:1.2-org.gnome.Nautilus');
        assert.equal(unescapeUnitName('app-gnome-org.gnome.Console\\x2dx-1234'), 'app-gnome-org.gnome.Console-x-1234');
    });

    it('decodes escaped UTF-8 bytes, including the sign-extended \\xffffffNN form', () => {
        assert.equal(unescapeUnitName('caf\\xc3\\xa9'), 'café');
        assert.equal(unescapeUnitName('caf\\xC3\\xA9'), 'café');
        assert.equal(unescapeUnitName('caf\\xffffffc3\\xffffffa9'), 'café');
        assert.equal(unescapeUnitName('\\xe2\\x82\\xac'), '€');
    });

    it('leaves names without escapes, and lone backslashes, unchanged', () => {
        assert.equal(unescapeUnitName('org.gnome.Terminal'), 'org.gnome.Terminal');
        assert.equal(unescapeUnitName('héllo wörld 🦊'), 'héllo wörld 🦊');
        assert.equal(unescapeUnitName('a\\b\\x'), 'a\\b\\x');
        assert.equal(unescapeUnitName('a\\xZZ'), 'a\\xZZ');
        assert.equal(unescapeUnitName(''), '');
    });
});

describe('sliceName', () => {
    it('names the known slices', () => {
        assert.equal(sliceName(APP), 'Apps');
        assert.equal(sliceName(`${USER}/session.slice`), 'Session');
        assert.equal(sliceName(`${USER}/background.slice`), 'Background');
        assert.equal(sliceName(`${USER}/user.slice`), 'Podman');
        assert.equal(sliceName('/user.slice'), 'Users');
        assert.equal(sliceName('/system.slice'), 'System services');
    });

    it('shows other slices by their unescaped unit name without ".slice"', () => {
        assert.equal(sliceName(`${APP}/app-dbus\\x2d:1.2\\x2dorg.gnome.Console.slice`), 'app-dbus-:1.2-org.gnome.Console');
        assert.equal(sliceName(`${APP}/app-org.gnome.Terminal.slice`), 'app-org.gnome.Terminal');
        assert.equal(sliceName('/machine.slice'), 'machine');
    });
});

describe('describeSlice and describeCountdown', () => {
    it('gives avg10 and the limit when nothing is coming', () => {
        const s = status({ avg10: 62.4 });
        assert.equal(describeSlice(s), 'Apps: 62% (limit 80%)');
        assert.equal(describeCountdown(s), null);
    });

    it('counts down while over the limit', () => {
        const s = status({ avg10: 85, verdict: verdict({ over: true, overFor: 8, secondsLeft: 12 }), projectedKillIn: 12 });
        assert.equal(describeCountdown(s), 'systemd-oomd may act in about 12 seconds');
        assert.equal(describeSlice(s), 'Apps: 85% (limit 80%) — systemd-oomd may act in about 12 seconds');
        assert.equal(describeCountdown(status({ verdict: verdict({ over: true, secondsLeft: 0.4 }) })),
            'systemd-oomd may act in about 1 second');
    });

    it('says "now" at zero, or "once reclaim starts" when reclaim is known to be absent', () => {
        const now = verdict({ over: true, overFor: 20, target: true, secondsLeft: 0, wouldAct: true });
        assert.equal(describeCountdown(status({ verdict: now })), 'systemd-oomd may act now');
        assert.equal(describeCountdown(status({ verdict: { ...now, reclaimActive: null } })), 'systemd-oomd may act now');
        assert.equal(describeCountdown(status({ verdict: { ...now, reclaimActive: false, wouldAct: false } })),
            'systemd-oomd may act once reclaim starts');
    });

    it('gives the projection while rising towards the limit', () => {
        const s = status({ avg10: 45.2, stall: 100, projectedKillIn: 29.5 });
        assert.equal(describeSlice(s), 'Apps: 45% (limit 80%) — at this rate, systemd-oomd may act in about 30 seconds');
    });

    it('gives the error for an unreadable slice', () => {
        const error = { code: 'unreadable', message: 'Permission denied' };
        assert.equal(describeSlice(status({ path: '/system.slice', avg10: null, verdict: null, error })), 'System services: Permission denied');
        assert.equal(describeSlice(status({ avg10: null, verdict: null, error: null })), 'Apps: unreadable');
    });
});

describe('panelText and accessibleText', () => {
    it('shows the worst slice\'s avg10 in the panel, or a dash', () => {
        assert.equal(panelText(snapshot('amber', status({ avg10: 47.6 }))), '48%');
        assert.equal(panelText(snapshot('ok', status({ avg10: 0 }))), '0%');
        assert.equal(panelText(snapshot('unknown', null, 'Permission denied')), '–');
    });

    it('has a sentence for each level', () => {
        assert.equal(levelName('ok'), 'Memory pressure is low');
        assert.equal(levelName('amber'), 'Memory pressure is rising');
        assert.equal(levelName('red'), 'systemd-oomd may stop an app soon');
        assert.equal(levelName('unknown'), 'Memory pressure is unknown');
        assert.equal(accessibleText(snapshot('ok', status({ avg10: 3 }))), 'Memory pressure is low. Apps: 3% (limit 80%)');
        assert.equal(accessibleText(snapshot('amber', status({ avg10: 45.2, projectedKillIn: 29.5 }))),
            'Memory pressure is rising. Apps: 45% (limit 80%) — at this rate, systemd-oomd may act in about 30 seconds');
        assert.equal(accessibleText(snapshot('red', status({ avg10: 85, verdict: verdict({ over: true, secondsLeft: 12 }) }))),
            'systemd-oomd may stop an app soon. Apps: 85% (limit 80%) — systemd-oomd may act in about 12 seconds');
    });

    it('gives the reason when unknown, and no dangling colon without one', () => {
        assert.equal(accessibleText(snapshot('unknown', null, 'Permission denied')), 'Memory pressure is unknown: Permission denied');
        assert.equal(accessibleText(snapshot('unknown', null, null)), 'Memory pressure is unknown');
        assert.equal(accessibleText(snapshot('ok', null)), 'Memory pressure is low');
    });
});

describe('fill: names from the system go into texts literally', () => {
    it('keeps "$&", "$1", "$$" and "%s" in a value as they are, in order', () => {
        assert.equal(fill('stop %s in %s', '$& $1 $$ %s', '20 s'), 'stop $& $1 $$ %s in 20 s');
    });
    it('leaves a place without a value as %s', () => {
        assert.equal(fill('%s and %s', 'one'), 'one and %s');
    });
});
