// End-to-end: the Headroom panel indicator in a real headless GNOME Shell, driven by a fake
// cgroup tree whose memory.pressure files the test rewrites. Needs root; see README.md.
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {
    CgroupFixture, GnomeShellSession, HEADROOM_UUID, HEADROOM_ZIP, SCREENSHOT_DIR, logErrors, waitFor,
} from './lib.js';

const SCHEMA = 'org.gnome.shell.extensions.headroom';
const LEVELS = ['ok', 'amber', 'red', 'unknown'] as const;
type Level = typeof LEVELS[number];

interface ButtonState {
    classes: Level[];
    label: string | null;
    accessibleName: string | null;
}

describe('Headroom indicator in GNOME Shell (e2e)', function () {
    this.timeout(60_000);
    const shell = new GnomeShellSession();
    const cgroup = new CgroupFixture(shell.hostPath('cgroup'));
    const cgroupInside = shell.sessionPath('cgroup');
    const emptyInside = shell.sessionPath('empty');

    const buttonState = (): ButtonState | null => shell.eval<ButtonState | null>(`(() => {
        const b = Main.panel.statusArea[${JSON.stringify(HEADROOM_UUID)}];
        if (!b) return null;
        const labels = [];
        const walk = a => { if (a instanceof St.Label && a.has_style_class_name('headroom-label')) labels.push(a);
                            for (const c of a.get_children()) walk(c); };
        walk(b);
        return {
            classes: ${JSON.stringify(LEVELS)}.filter(l => b.has_style_class_name('headroom-' + l)),
            label: labels.length === 1 ? labels[0].text : null,
            accessibleName: b.accessible_name ?? b.get_accessible_name?.() ?? null,
        };
    })()`);

    // Poll (sampling is 1 s) until the button has exactly the class of `level` and, if given,
    // the label text: the level alone can match a sample taken before the fixture was rewritten.
    const waitForLevel = (level: Level, timeoutMs = 6000, label?: string): Promise<ButtonState> =>
        waitFor(`indicator level ${level}${label !== undefined ? ` label ${label}` : ''}`, () => {
            const s = buttonState();
            return s !== null && s.classes.length === 1 && s.classes[0] === level &&
                (label === undefined || s.label === label) ? s : undefined;
        }, timeoutMs, 200).catch((e: unknown) => {
            throw new Error(`${String(e)}; button: ${JSON.stringify(buttonState())}`);
        });

    const schemaDir = shell.extensionSchemaDir(HEADROOM_UUID);
    // The label is the most urgent slice's full avg10, rounded (`45%`); no number when unknown.
    // The accessible name starts with the level in words.
    const LEVEL_WORDS: Record<Level, RegExp> = {
        ok: /pressure is low/i,
        amber: /pressure is rising/i,
        red: /systemd-oomd may stop/i,
        unknown: /pressure is unknown/i,
    };
    const assertLooks = (s: ButtonState, level: Level, label: string | null): void => {
        if (label === null)
            assert.doesNotMatch(s.label ?? '', /\d/, `label when ${level}`);
        else
            assert.equal(s.label, label, `label when ${level}`);
        assert.match(s.accessibleName ?? '', LEVEL_WORDS[level], `accessible name when ${level}`);
    };

    const shot = (name: string): void => shell.screenshot(join(SCREENSHOT_DIR, `${name}.png`));

    before(function () {
        assert.ok(existsSync(HEADROOM_ZIP), `${HEADROOM_ZIP} missing: run 'make pack' first`);
        mkdirSync(SCREENSHOT_DIR, {recursive: true});
        mkdirSync(shell.hostPath('empty'), {recursive: true});
        cgroup.create();
        // The extension is installed (gnome-extensions install --force, as uid 1000 in the
        // session) before gnome-shell starts: a folder that appears later is not picked up.
        shell.start({
            install: [HEADROOM_ZIP],
            settings: `[org/gnome/shell/extensions/headroom]\ncgroup-root='${cgroupInside}'\n` +
                'amber-exit-hold-seconds=1\n',
        });
        // Fail early with a clear message if installation went wrong.
        const log = readFileSync(shell.paths.log, 'utf8');
        assert.doesNotMatch(log, /INSTALL FAILED/, log);
    });

    after(function () {
        shell.stop();
    });

    it('installs and enables (GetExtensionInfo: state 1, no error)', async function () {
        assert.equal(shell.extensionInfo(HEADROOM_UUID).state, 6, 'INITIALIZED before enabling');
        shell.setExtensionEnabled(HEADROOM_UUID, true);
        await shell.waitForExtensionActive(HEADROOM_UUID);
        const info = shell.extensionInfo(HEADROOM_UUID);
        assert.equal(info.state, 1);
        assert.equal(info.error, '');
        // Settings seeded in the keyfile are seen by the extension's schema.
        assert.equal(shell.gsettingsGet(SCHEMA, 'cgroup-root', schemaDir), `'${cgroupInside}'`);
    });

    it('shows ok with low pressure', async function () {
        cgroup.setPressure('app.slice', {some: 5, full: 2});
        const s = await waitForLevel('ok', 6000, '2%');
        assertLooks(s, 'ok', '2%');
        shot('ok');
    });

    it('goes amber at full avg10 >= 40', async function () {
        cgroup.setPressure('app.slice', {some: 60, full: 45});
        const s = await waitForLevel('amber', 6000, '45%');
        assertLooks(s, 'amber', '45%');
        shot('amber');
    });

    it('goes red at full avg10 > 80', async function () {
        cgroup.setPressure('app.slice', {some: 95, full: 90});
        const s = await waitForLevel('red', 6000, '90%');
        assertLooks(s, 'red', '90%');
        shot('red');
    });

    it('returns to ok when pressure drops (amber-exit-hold-seconds=1)', async function () {
        cgroup.setPressure('app.slice', {some: 1, full: 0});
        const s = await waitForLevel('ok', 8000, '0%');
        assertLooks(s, 'ok', '0%');
        shot('ok-again');
    });

    it('shows unknown when the cgroup root has no readable files', async function () {
        shell.gsettingsSet(SCHEMA, 'cgroup-root', `'${emptyInside}'`, schemaDir);
        const s = await waitForLevel('unknown');
        assertLooks(s, 'unknown', null);
        shot('unknown');
        shell.gsettingsSet(SCHEMA, 'cgroup-root', `'${cgroupInside}'`, schemaDir);
        await waitForLevel('ok');
    });

    it('removes the button on disable', async function () {
        shell.setExtensionEnabled(HEADROOM_UUID, false);
        await waitFor('button gone', () => buttonState() === null);
        assert.equal(shell.extensionInfo(HEADROOM_UUID).state, 2, 'INACTIVE');
        assert.equal(shell.eval<number>(`Main.panel._rightBox.get_children()
            .filter(c => c.get_children().some(b => b.has_style_class_name?.('headroom-ok') ||
                b.has_style_class_name?.('headroom-unknown'))).length`), 0);
    });

    it('survives 20 enable/disable cycles', async function () {
        // One Eval for all cycles: D-Bus round trips are slow on a loaded 2-core runner.
        const results = shell.eval<{on: boolean; off: boolean; error: string; state: number}[]>(`(async () => {
            const uuid = ${JSON.stringify(HEADROOM_UUID)};
            const m = Main.extensionManager;
            const out = [];
            for (let i = 0; i < 20; i++) {
                await m.enableExtension(uuid);
                await sleep(20);
                const on = !!Main.panel.statusArea[uuid];
                await m.disableExtension(uuid);
                await sleep(20);
                const off = !Main.panel.statusArea[uuid];
                const e = m.lookup(uuid);
                out.push({on, off, error: e.error ?? '', state: e.state});
            }
            return out;
        })()`);
        assert.equal(results.length, 20);
        results.forEach((r, i) => assert.deepEqual(r, {on: true, off: true, error: '', state: 2}, `cycle ${i}`));
        // Leave it enabled and working.
        shell.setExtensionEnabled(HEADROOM_UUID, true);
        await shell.waitForExtensionActive(HEADROOM_UUID);
        await waitForLevel('ok');
        const info = shell.extensionInfo(HEADROOM_UUID);
        assert.equal(info.error, '');
    });

    it('logged no JS errors, criticals or headroom errors', function () {
        const errors = logErrors(readFileSync(shell.paths.log, 'utf8'));
        assert.deepEqual(errors, [], `shell log (${shell.paths.log}) has errors:\n${errors.join('\n')}`);
    });
});
