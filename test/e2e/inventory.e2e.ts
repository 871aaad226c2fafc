// End-to-end: Headroom's menu lists (Apps, Containers) in a real headless GNOME Shell, on a writable
// copy of the seed incident fixture, with a fake podman that records its argv and a real GTK4 app to
// close. Needs root; see README.md.
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {GnomeShellSession, HEADROOM_UUID, HEADROOM_ZIP, SCREENSHOT_DIR, logErrors, sleep, waitFor} from './lib.js';
import {
    FakePodman, FixtureCopy, FIXTURES, fixtureSettings, MANAGER, PODMAN_FAILURE, TEST_APP_ID, TEST_APP_NAME, installTestApp,
    menuStateJs, type MenuButton, type MenuRow, type MenuState,
} from './inventory-helpers.js';

const SCHEMA = 'org.gnome.shell.extensions.headroom';
const PICK = 'oomd’s next pick';
const GENERIC_ICON = 'application-x-executable-symbolic';

describe('Headroom menu: apps and containers in GNOME Shell (e2e)', function () {
    this.timeout(60_000);
    const shell = new GnomeShellSession();
    const seed = new FixtureCopy(shell, 'seed');
    const hostile = new FixtureCopy(shell, 'hostile');
    const podman = new FakePodman(shell);
    const schemaDir = shell.extensionSchemaDir(HEADROOM_UUID);
    const uuid = JSON.stringify(HEADROOM_UUID);
    let jellyfinId = '';
    let immichId = '';
    let payload = '';
    let pump: NodeJS.Timeout | null = null;

    const menu = (): MenuState => {
        const s = shell.eval<MenuState | null>(menuStateJs(HEADROOM_UUID));
        assert.ok(s, 'the Headroom button is in the panel');
        return s;
    };
    const rowsOf = (s: MenuState, title: string): MenuRow[] => s.sections.find(x => x.title === title)?.rows ?? [];
    const infosOf = (s: MenuState, title: string): string[] => s.sections.find(x => x.title === title)?.infos ?? [];
    const rowOf = (s: MenuState, title: string, name: string): MenuRow | undefined =>
        rowsOf(s, title).find(r => r.name === name);
    const badges = (r: MenuRow | undefined): string[] => r?.badges.map(b => b.text) ?? [];

    /** Polls the menu until `pred` holds; on timeout the error carries the whole menu. */
    const waitMenu = async (what: string, pred: (s: MenuState) => boolean, timeoutMs = 8000): Promise<MenuState> => {
        let last: MenuState | null = null;
        try {
            return await waitFor(what, () => {
                last = menu();
                return pred(last) ? last : undefined;
            }, timeoutMs, 150);
        } catch (e) {
            throw new Error(`${String(e)}\nmenu: ${JSON.stringify(last, null, 1)}`);
        }
    };

    /** A real pointer click on the panel button, unless the menu is already open. */
    const openMenu = (): void => {
        const open = shell.eval<boolean>(`(async () => {
            const b = Main.panel.statusArea[${uuid}];
            if (!b.menu.isOpen) { await click(...actorCenter(b)); await sleep(200); }
            return b.menu.isOpen;
        })()`);
        assert.equal(open, true, 'menu open after a click on the panel button');
    };

    /**
     * Scrolls the menu's app and container lists until the row named `name` is in view, as a user
     * would with the wheel (the lists scroll when the menu is taller than the screen: on GNOME 51's
     * 1280×800 session the lower rows start out of view).
     */
    const scrollTo = (name: string): void => {
        shell.eval(`(async () => {
            const { ensureActorVisibleInScrollView } = await import('resource:///org/gnome/shell/misc/animationUtils.js');
            const b = Main.panel.statusArea[${uuid}];
            const find = a => {
                if (a instanceof St.Label && a.text === ${JSON.stringify(name)})
                    return a;
                for (const c of a.get_children()) {
                    const f = find(c);
                    if (f)
                        return f;
                }
                return null;
            };
            const label = find(b.menu.box);
            let view = label;
            while (view && !(view instanceof St.ScrollView))
                view = view.get_parent();
            if (view)
                ensureActorVisibleInScrollView(view, label.get_parent());
            await sleep(150);
            return true;
        })()`);
    };

    /** A real pointer click on a row's button, which must be reactive and on screen. */
    const clickButton = (_before: MenuState, title: string, name: string, label: string): MenuButton => {
        scrollTo(name);
        const s = menu();
        const b = rowOf(s, title, name)?.buttons.find(x => x.label === label);
        assert.ok(b, `${label} button on the ${name} row`);
        assert.ok(b.reactive, `${label} on ${name} is clickable`);
        assert.ok(b.y > 0 && b.y < s.stageHeight, `${label} on ${name} is on screen (y ${b.y})`);
        shell.eval(`click(${b.x}, ${b.y})`);
        return b;
    };

    const setInt = (key: string, value: number): void => shell.gsettingsSet(SCHEMA, key, String(value), schemaDir);

    before(function () {
        assert.ok(existsSync(HEADROOM_ZIP), `${HEADROOM_ZIP} missing: run 'make pack' first`);
        mkdirSync(SCREENSHOT_DIR, {recursive: true});
        seed.create();
        hostile.create();
        // Calm at start: the header names no victim while pressure is low.
        seed.setPressure('app.slice', {some: 8, full: 5});
        jellyfinId = seed.payloadId('app.slice/jellyfin.service');
        immichId = seed.scopeId('user.slice');
        payload = `app.slice/jellyfin.service/libpod-payload-${jellyfinId}`;
        podman.install([
            {id: jellyfinId, name: 'jellyfin', unit: 'jellyfin.service'},
            {id: immichId, name: 'immich_server'},
        ]);
        shell.start({
            install: [HEADROOM_ZIP],
            enable: [HEADROOM_UUID],
            settings: fixtureSettings(seed, podman, 'amber-exit-hold-seconds=1\n'),
        });
        const log = readFileSync(shell.paths.log, 'utf8');
        assert.doesNotMatch(log, /INSTALL FAILED/, log);
        // The home folder is fresh at each start: the app's .desktop file goes in now.
        installTestApp(shell);
    });

    after(function () {
        if (pump)
            clearInterval(pump);
        podman.release();
        shell.stop();
    });

    it('is active and opens its menu on a real click', async function () {
        await shell.waitForExtensionActive(HEADROOM_UUID);
        openMenu();
        const s = await waitMenu('Apps rows', m => rowsOf(m, 'Apps').length > 0);
        assert.equal(s.open, true);
        assert.equal(s.victim, null, 'no victim sentence while pressure is low');
    });

    it('lists the apps by size, Firefox first, and "and 3 more apps"', async function () {
        const s = await waitMenu('five app rows', m => rowsOf(m, 'Apps').length === 5);
        // No .desktop file for these in the test rootfs: the id is shown as it is, with a generic icon.
        assert.deepEqual(rowsOf(s, 'Apps').map(r => [r.name, r.memory, r.detail]), [
            ['firefox', '6.0 GB', '4.9 GB in use · 805 MB cache'],
            ['org.gnome.Evolution', '1.4 GB', '906 MB in use · 398 MB cache'],
            ['com.slack.Slack', '1.2 GB', '881 MB in use · 231 MB cache'],
            ['code', '747 MB', '537 MB in use · 168 MB cache'],
            ['org.gnome.Nautilus', '451 MB', '302 MB in use · 126 MB cache'],
        ]);
        for (const r of rowsOf(s, 'Apps')) {
            assert.equal(r.icon, GENERIC_ICON, `${r.name} icon`);
            assert.equal(r.detailError, false);
            assert.deepEqual(r.buttons.map(b => [b.label, b.accessible, b.reactive]),
                [['Close', `Close ${r.name}`, true]], `${r.name} buttons`);
        }
        assert.deepEqual(infosOf(s, 'Apps'), ['and 3 more apps']);
    });

    it('lists the containers by podman\'s names: jellyfin 2.5 GB transcoding, immich_server 2.0 GB', async function () {
        const s = await waitMenu('two container rows', m => rowsOf(m, 'Containers').length === 2);
        // The pick badge is left out here: it is shown even while pressure is low, on the most
        // pressured slice's pick (reported; the header's sentence is hidden then).
        assert.deepEqual(rowsOf(s, 'Containers').map(r => [r.name, r.memory, r.detail,
            r.badges.filter(b => b.text !== PICK)]), [
            ['jellyfin', '2.5 GB', '1.1 GB in use · 1.3 GB cache',
                [{text: 'transcoding', classes: 'headroom-badge headroom-badge-busy'}]],
            ['immich_server', '2.0 GB', '1.6 GB in use · 378 MB cache', []],
        ]);
        for (const r of rowsOf(s, 'Containers')) {
            assert.equal(r.icon, 'package-x-generic-symbolic');
            assert.deepEqual(r.buttons.map(b => [b.label, b.accessible, b.reactive]), [
                ['Pause', `Pause ${r.name}: stops its CPU and growth, frees no memory`, true],
                ['Stop', `Stop ${r.name} and free its memory`, true],
            ]);
        }
        assert.deepEqual(infosOf(s, 'Containers'), [
            'Pause stops a container’s CPU and growth but frees no memory; Stop frees it.',
            'Session 961 MB · Background 143 MB · All 15.9 GB',
        ]);
        // Podman was asked once for its list, with an argv (no shell).
        assert.deepEqual(podman.calls(), [['ps', '--all', '--format', 'json']]);
    });

    it('names Jellyfin "oomd’s next pick" when its pgscan climbs under pressure', async function () {
        // Back to the seed's own pressure (full avg10 62.40: amber), and the payload reclaiming hard:
        // oomd picks the largest pgscan increase since its previous look.
        seed.replace('app.slice', 'memory.pressure',
            readFileSync(join(FIXTURES, 'seed', MANAGER, 'app.slice', 'memory.pressure'), 'utf8'));
        pump = setInterval(() => seed.bumpPgscan(payload, 50_000), 250);
        const s = await waitMenu('jellyfin picked', m =>
            m.victim === 'If systemd-oomd acts, it stops jellyfin (2.5 GB)' &&
            badges(rowOf(m, 'Containers', 'jellyfin')).includes(PICK), 10_000);
        assert.equal(s.title, 'Memory pressure is rising');
        assert.deepEqual(rowOf(s, 'Containers', 'jellyfin')?.badges, [
            {text: 'transcoding', classes: 'headroom-badge headroom-badge-busy'},
            {text: PICK, classes: 'headroom-badge headroom-badge-pick'},
        ]);
        for (const r of [...rowsOf(s, 'Apps'), ...rowsOf(s, 'Containers')].filter(x => x.name !== 'jellyfin'))
            assert.ok(!badges(r).includes(PICK), `${r.name} is not the pick`);
        // From here on, scans come only from file monitors (or every 60 s): rows are redrawn at each
        // scan, and a click whose press and release straddle a redraw would be lost.
        setInt('scan-interval-active-seconds', 60);
        await sleep(1500);
    });

    it('shows podman\'s own words when Pause fails', async function () {
        podman.setMode('fail');
        podman.clearLog();
        clickButton(menu(), 'Containers', 'jellyfin', 'Pause');
        const s = await waitMenu('podman\'s error on the row', m => rowOf(m, 'Containers', 'jellyfin')?.detail === PODMAN_FAILURE);
        const r = rowOf(s, 'Containers', 'jellyfin');
        assert.equal(r?.detailError, true, 'detail line has headroom-error');
        assert.deepEqual(r?.buttons.map(b => [b.label, b.reactive]), [['Pause', true], ['Stop', true]]);
        assert.deepEqual(podman.calls(), [['pause', jellyfinId]]);
    });

    it('pauses Jellyfin with exactly `podman pause <id>`; frozen in cgroup.events shows "paused" and Resume', async function () {
        podman.setMode('ok');
        podman.clearLog();
        clickButton(menu(), 'Containers', 'jellyfin', 'Pause');
        let s = await waitMenu('the error cleared', m => {
            const r = rowOf(m, 'Containers', 'jellyfin');
            return r?.detail === '1.1 GB in use · 1.3 GB cache' && !r.detailError;
        });
        assert.deepEqual(podman.calls(), [['pause', jellyfinId]]);
        // Podman said yes; the row shows "paused" only when the kernel says frozen.
        assert.ok(!badges(rowOf(s, 'Containers', 'jellyfin')).includes('paused'));

        // The extension watches the payload's cgroup.events (scans are 60 s apart now).
        seed.rewrite(payload, 'cgroup.events', 'populated 1\nfrozen 1\n');
        s = await waitMenu('paused and Resume', m => {
            const r = rowOf(m, 'Containers', 'jellyfin');
            return badges(r).includes('paused') && r?.buttons[0]?.label === 'Resume';
        }, 5000);
        const r = rowOf(s, 'Containers', 'jellyfin');
        assert.deepEqual(r?.badges, [
            {text: 'transcoding', classes: 'headroom-badge headroom-badge-busy'},
            {text: 'paused', classes: 'headroom-badge headroom-badge-paused'},
            {text: PICK, classes: 'headroom-badge headroom-badge-pick'},
        ]);
        assert.deepEqual(r?.buttons.map(b => [b.label, b.accessible, b.reactive]), [
            ['Resume', 'Resume jellyfin', true],
            ['Stop', 'Stop jellyfin and free its memory', true],
        ]);
        assert.equal(s.victim, 'If systemd-oomd acts, it stops jellyfin (2.5 GB)');

        const area = shell.eval<{x: number; y: number; w: number; h: number}>(`(() => {
            const a = Main.panel.statusArea[${uuid}].menu.actor;
            const [x, y] = a.get_transformed_position(); const [w, h] = a.get_transformed_size();
            return {x, y, w, h: Math.min(h, global.stage.height - y)};
        })()`);
        shell.screenshot(join(SCREENSHOT_DIR, 'menu-seed.png'), area);
    });

    it('shows the row busy and keeps the shell responsive while podman hangs', async function () {
        podman.setMode('hang');
        podman.clearLog();
        clickButton(menu(), 'Containers', 'jellyfin', 'Resume');
        const s = await waitMenu('Resuming…', m => rowOf(m, 'Containers', 'jellyfin')?.detail === 'Resuming…');
        assert.deepEqual(rowOf(s, 'Containers', 'jellyfin')?.buttons.map(b => [b.label, b.reactive]),
            [['Resume', false], ['Stop', false]]);
        // The shell answers while podman hangs (the call is asynchronous; its 30 s timeout is not tested).
        assert.equal(shell.eval<number>('1 + 1', 5000), 2);
        assert.deepEqual(podman.calls(), [['unpause', jellyfinId]]);
        podman.release();
        await waitMenu('idle again', m => {
            const r = rowOf(m, 'Containers', 'jellyfin');
            return r?.detail === '1.1 GB in use · 1.3 GB cache' && r.buttons.every(b => b.reactive);
        });
        seed.rewrite(payload, 'cgroup.events', 'populated 1\nfrozen 0\n');
        await waitMenu('Pause again', m => {
            const r = rowOf(m, 'Containers', 'jellyfin');
            return !badges(r).includes('paused') && r?.buttons[0]?.label === 'Pause';
        }, 5000);
    });

    it('shows systemd\'s words when Close cannot reach an app (no window, no systemd here)', async function () {
        clickButton(menu(), 'Apps', 'code', 'Close');
        const s = await waitMenu('an error on the code row', m => rowOf(m, 'Apps', 'code')?.detailError === true);
        assert.match(rowOf(s, 'Apps', 'code')?.detail ?? '',
            /^systemd could not stop app-gnome-code-7001\.scope: .*org\.freedesktop\.systemd1/);
    });

    it('closes a real app\'s window with Close; the app stops and its row goes with its scope', async function () {
        const app = `Shell.AppSystem.get_default().lookup_app('${TEST_APP_ID}.desktop')`;
        await waitFor('the test app\'s .desktop file', () => shell.eval<boolean>(`!!${app}`), 10_000, 200);
        const started = shell.eval<{pid: number; state: number; windows: number}>(`(async () => {
            const app = ${app};
            app.activate();
            for (let i = 0; i < 150 && app.get_windows().length === 0; i++) await sleep(100);
            const w = app.get_windows()[0];
            return {pid: w ? w.get_pid() : -1, state: app.get_state(), windows: app.get_windows().length};
        })()`);
        assert.equal(started.windows, 1, `one window (${JSON.stringify(started)}); see ${shell.hostPath('testapp.log')}`);
        assert.equal(started.state, 2, 'RUNNING');
        assert.ok(started.pid > 1);

        // Without systemd in the rootfs the app's scope is only a fixture; the window is real.
        const scope = `app.slice/app-gnome-${TEST_APP_ID}-${started.pid}.scope`;
        seed.addLeaf(scope, {current: 800_000_000, anon: 700_000_000, file: 100_000_000});
        openMenu();
        let s = await waitMenu('the test app\'s row', m => rowOf(m, 'Apps', TEST_APP_NAME) !== undefined);
        const r = rowOf(s, 'Apps', TEST_APP_NAME);
        assert.equal(r?.memory, '800 MB');
        assert.notEqual(r?.icon, GENERIC_ICON, 'the icon named by the .desktop file');
        assert.deepEqual(r?.buttons.map(b => [b.label, b.accessible]), [['Close', `Close ${TEST_APP_NAME}`]]);

        clickButton(s, 'Apps', TEST_APP_NAME, 'Close');
        s = await waitMenu('Closing…', m => rowOf(m, 'Apps', TEST_APP_NAME)?.detail === 'Closing…');
        assert.deepEqual(rowOf(s, 'Apps', TEST_APP_NAME)?.buttons.map(b => [b.label, b.reactive]), [['Close', false]]);
        await waitFor('the app STOPPED with no window', () => shell.eval<boolean>(
            `(() => { const a = ${app}; return a.get_state() === Shell.AppState.STOPPED && a.get_windows().length === 0; })()`),
        10_000, 200);
        assert.equal(shell.eval<number>(`global.get_window_actors().filter(a => a.meta_window.get_wm_class() === '${TEST_APP_ID}').length`), 0);
        // The process ended (gone, or a zombie not yet reaped).
        await waitFor('the app process ended', () => {
            const st = shell.exec(['sh', '-c', `awk '/^State:/ {print $2}' /proc/${started.pid}/status 2>/dev/null`]);
            return st.stdout.trim() === '' || st.stdout.trim() === 'Z';
        }, 10_000, 200);

        seed.remove(scope);
        await waitMenu('the row gone with the scope', m => rowOf(m, 'Apps', TEST_APP_NAME) === undefined, 5000);
    });

    it('shows hostile names as plain text (hostile fixture)', async function () {
        podman.clearLog();
        shell.gsettingsSet(SCHEMA, 'cgroup-root', `'${hostile.inside}'`, schemaDir);
        const s = await waitMenu('the hostile rows', m => rowOf(m, 'Apps', '<b>Bold</b>') !== undefined &&
            rowsOf(m, 'Apps').length === 5);
        assert.deepEqual(rowsOf(s, 'Apps').map(r => r.name).sort(),
            ['$(rm -rf ~)', '<b>Bold</b>', 'café', 'it\'s "quoted"', '€'].sort());
        for (const r of rowsOf(s, 'Apps')) {
            assert.equal(r.useMarkup, false, `${r.name}: no markup`);
            assert.equal(r.layoutText, r.name, `${r.name} is laid out literally`);
        }
        assert.deepEqual(infosOf(s, 'Apps'), ['and 3 more apps']);
        assert.deepEqual(rowsOf(s, 'Containers'), []);
        assert.equal(infosOf(s, 'Containers')[0], 'No containers');
        assert.deepEqual(podman.calls(), [], 'no containers: podman not asked');
    });

    it('logged no JS errors, criticals or headroom errors', function () {
        const errors = logErrors(readFileSync(shell.paths.log, 'utf8'));
        assert.deepEqual(errors, [], `shell log (${shell.paths.log}) has errors:\n${errors.join('\n')}`);
    });
});
