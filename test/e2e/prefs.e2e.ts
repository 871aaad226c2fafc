// End-to-end: Headroom's preferences window, opened from the installed extension in a real headless GNOME
// Shell. The window is a GTK4/libadwaita Wayland client in its own process (the D-Bus-activated
// org.gnome.Shell.Extensions service), so the spec finds its widgets through the accessibility tree
// (atspi-tree.js, run in the session) and clicks them with the harness's virtual pointer, as a user would.
// Needs root; see README.md.
import assert from 'node:assert/strict';
import {copyFileSync, existsSync, mkdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {
    CgroupFixture, E2E_DIR, GnomeShellSession, HEADROOM_UUID, HEADROOM_ZIP, SCREENSHOT_DIR, logErrors, waitFor,
} from './lib.js';

const SCHEMA = 'org.gnome.shell.extensions.headroom';
/** The preferences of every extension are shown by this gjs service, which is also its AT-SPI name. */
const PREFS_APP = 'org.gnome.Shell.Extensions';
const ICON_ONLY = 'Icon Only';
const ICON_AND_PERCENT = 'Icon and Percentage';

interface Rect {
    x: number;
    y: number;
    w: number;
    h: number;
}

interface ShellWindow {
    title: string | null;
    wmClass: string | null;
    pid: number;
    type: number;
    frame: Rect;
}

/** One node of atspi-tree.js's output; x/y relative to the window's frame. */
interface A11yNode {
    depth: number;
    role: string;
    name: string;
    x: number | null;
    y: number | null;
    width: number | null;
    height: number | null;
    states: string[];
}

interface PanelLabel {
    visible: boolean;
    text: string;
}

const center = (r: Rect): [number, number] => [Math.round(r.x + r.w / 2), Math.round(r.y + r.h / 2)];

/** The nodes below `tree[i]` (depth-first order: they follow it until the depth drops back). */
function descendants(tree: A11yNode[], node: A11yNode): A11yNode[] {
    const out: A11yNode[] = [];
    for (const n of tree.slice(tree.indexOf(node) + 1)) {
        if (n.depth <= node.depth)
            break;
        out.push(n);
    }
    return out;
}

describe('Headroom preferences window in GNOME Shell (e2e)', function () {
    this.timeout(60_000);
    const shell = new GnomeShellSession();
    const cgroup = new CgroupFixture(shell.hostPath('cgroup'));
    const schemaDir = shell.extensionSchemaDir(HEADROOM_UUID);
    const treeScript = shell.sessionPath('atspi-tree.js');

    const windows = (): ShellWindow[] => shell.eval<ShellWindow[]>(`global.get_window_actors().map(a => {
        const w = a.meta_window; const r = w.get_frame_rect();
        return {title: w.get_title(), wmClass: w.get_wm_class(), pid: w.get_pid(), type: w.get_window_type(),
                frame: {x: r.x, y: r.y, w: r.width, h: r.height}};
    })`);
    const prefsWindow = (): ShellWindow | undefined =>
        windows().find(w => w.wmClass === PREFS_APP && w.title === 'Headroom');
    /** The combo row's list of choices: a popup surface of the prefs process (mutter maps it as a window). */
    const popup = (main: ShellWindow): ShellWindow | undefined =>
        windows().find(w => w.pid === main.pid && w.title !== 'Headroom');

    const tree = (): A11yNode[] => JSON.parse(shell.execOk(['gjs', '-m', treeScript, PREFS_APP])) as A11yNode[];

    /** The "Indicator" combo row, the choice it shows, and its popover list when that is open. */
    interface Combo {
        node: A11yNode;
        value: string | null;
        choices: {label: string; node: A11yNode}[];
        list: A11yNode | null;
    }
    const combo = (): Combo | undefined => {
        const t = tree();
        const row = t.find(n => n.role === 'combo box' && n.name === 'Indicator' && n.states.includes('showing'));
        if (!row)
            return undefined;
        const lists = descendants(t, row).flatMap(n => {
            const items = n.role === 'list' && n.states.includes('showing')
                ? descendants(t, n).filter(d => d.role === 'list item' && d.depth === n.depth + 1) : [];
            return items.length > 0 ? [{list: n, items}] : [];
        });
        const labelOf = (item: A11yNode): string => descendants(t, item).find(d => d.role === 'label')?.name ?? '';
        // The first list is the row's own display of the current choice; a second one is the open popover.
        const shown = lists[0]?.items[0];
        const open = lists.length > 1 ? lists[lists.length - 1] : null;
        return {
            node: row,
            value: shown ? labelOf(shown) : null,
            choices: open ? open.items.map(node => ({label: labelOf(node), node})) : [],
            list: open?.list ?? null,
        };
    };

    /** Screen position of an accessible node of the main window (its extents are frame-relative). */
    const onScreen = (win: ShellWindow, n: A11yNode): Rect => {
        assert.ok(n.x !== null && n.y !== null && n.width !== null && n.height !== null, `extents of ${n.role} ${n.name}`);
        return {x: win.frame.x + n.x, y: win.frame.y + n.y, w: n.width, h: n.height};
    };

    /**
     * Screen centre of a choice in the open popover. GTK reports extents inside a popover relative to a
     * surface origin that differs between GTK 4.18 (GNOME 48) and 4.24 (GNOME 51), so only the sizes and
     * offsets within the list are taken from the tree; the position comes from the popup's frame, which
     * mutter knows: the list fills the frame except for the arrow, which points at the row.
     */
    const choiceCenter = (win: ShellWindow, c: Combo, label: string): [number, number] => {
        const pop = popup(win);
        assert.ok(pop, 'the popover is mapped');
        const list = c.list;
        assert.ok(list?.y != null && list.height != null, 'the popover list has extents');
        const items = c.choices.map(ch => ch.node);
        const choice = c.choices.find(ch => ch.label === label);
        assert.ok(choice, `choice ${label} in ${JSON.stringify(c.choices.map(ch => ch.label))}`);
        const first = items[0];
        const last = items[items.length - 1];
        assert.ok(first?.y != null && last?.y != null && last.height !== null && choice.node.y !== null &&
            choice.node.height !== null, 'the choices have extents');
        const padding = (list.height - (last.y + last.height - first.y)) / 2;
        const row = onScreen(win, c.node);
        const arrowOnTop = pop.frame.y >= row.y + row.h / 2;
        const listTop = arrowOnTop ? pop.frame.y + pop.frame.h - list.height : pop.frame.y;
        return [
            Math.round(pop.frame.x + pop.frame.w / 2),
            Math.round(listTop + padding + (choice.node.y - first.y) + choice.node.height / 2),
        ];
    };

    const click = (x: number, y: number): void => {
        shell.eval(`click(${x}, ${y})`);
    };

    const panelLabel = (): PanelLabel | null => shell.eval<PanelLabel | null>(`(() => {
        const b = Main.panel.statusArea[${JSON.stringify(HEADROOM_UUID)}];
        if (!b) return null;
        const found = [];
        const walk = a => { if (a instanceof St.Label && a.has_style_class_name('headroom-label')) found.push(a);
                            for (const c of a.get_children()) walk(c); };
        walk(b);
        return found.length === 1 ? {visible: found[0].visible && found[0].is_mapped(), text: found[0].text} : null;
    })()`);

    const showPercentage = (): string => shell.gsettingsGet(SCHEMA, 'show-percentage', schemaDir);

    /** Real clicks: the row opens its popover, then the choice. */
    const choose = async (label: string): Promise<void> => {
        const win = prefsWindow();
        assert.ok(win, 'prefs window open');
        const before = combo();
        assert.ok(before, 'Indicator row in the accessibility tree');
        click(...center(onScreen(win, before.node)));
        const open = await waitFor('the popover with the choices', () => {
            const c = combo();
            return c !== undefined && c.choices.length >= 2 && popup(win) !== undefined ? c : undefined;
        }, 5000, 200);
        assert.deepEqual(open.choices.map(c => c.label), [ICON_ONLY, ICON_AND_PERCENT]);
        shell.screenshot(join(SCREENSHOT_DIR, 'prefs-popover.png'), {x: 0, y: 0, w: 1280, h: 800});
        click(...choiceCenter(win, open, label));
        await waitFor('the popover closed', () => popup(win) === undefined, 5000, 200);
    };

    before(function () {
        assert.ok(existsSync(HEADROOM_ZIP), `${HEADROOM_ZIP} missing: run 'make pack' first`);
        mkdirSync(SCREENSHOT_DIR, {recursive: true});
        cgroup.create();
        cgroup.setPressure('app.slice', {some: 5, full: 2});
        shell.start({
            install: [HEADROOM_ZIP],
            enable: [HEADROOM_UUID],
            settings: `[org/gnome/shell/extensions/headroom]\ncgroup-root='${shell.sessionPath('cgroup')}'\n`,
        });
        const log = readFileSync(shell.paths.log, 'utf8');
        assert.doesNotMatch(log, /INSTALL FAILED/, log);
        copyFileSync(join(E2E_DIR, 'atspi-tree.js'), shell.hostPath('atspi-tree.js'));
    });

    after(function () {
        shell.stop();
    });

    it('shows the percentage in the top bar by default', async function () {
        await shell.waitForExtensionActive(HEADROOM_UUID);
        assert.match(shell.extensionInfo(HEADROOM_UUID).raw, /'hasPrefs': <true>/);
        assert.equal(showPercentage(), 'true');
        await waitFor('percentage 2% in the top bar', () => {
            const l = panelLabel();
            return l?.visible === true && l.text === '2%';
        }, 6000, 200);
    });

    it('opens its preferences window with `gnome-extensions prefs`', async function () {
        shell.execOk(['gnome-extensions', 'prefs', HEADROOM_UUID]);
        // Mutter knows the window before its first frame: wait until it has a size.
        const win = await waitFor('the Headroom preferences window', () => {
            const w = prefsWindow();
            return w !== undefined && w.frame.w > 0 ? w : undefined;
        }, 15_000, 200);
        // The content is there when the row is in the accessibility tree, showing the current choice.
        const c = await waitFor('the Indicator row', () => combo(), 10_000, 300);
        assert.equal(c.value, ICON_AND_PERCENT);
        assert.ok(win.frame.w > 300 && win.frame.h > 300, `window size ${JSON.stringify(win.frame)}`);
        shell.screenshot(join(SCREENSHOT_DIR, 'prefs.png'), win.frame);
    });

    it('hides the percentage after a real click on Indicator → Icon Only', async function () {
        await choose(ICON_ONLY);
        await waitFor('show-percentage false', () => showPercentage() === 'false', 5000, 200);
        await waitFor('no percentage in the top bar', () => panelLabel()?.visible === false, 5000, 200);
        await waitFor('the row shows Icon Only', () => combo()?.value === ICON_ONLY, 5000, 300);
        shell.screenshot(join(SCREENSHOT_DIR, 'prefs-icon-only.png'), {x: 0, y: 0, w: 1280, h: 800});
    });

    it('shows it again after Indicator → Icon and Percentage', async function () {
        await choose(ICON_AND_PERCENT);
        await waitFor('show-percentage true', () => showPercentage() === 'true', 5000, 200);
        await waitFor('percentage back in the top bar', () => {
            const l = panelLabel();
            return l?.visible === true && l.text === '2%';
        }, 5000, 200);
        await waitFor('the row shows Icon and Percentage', () => combo()?.value === ICON_AND_PERCENT, 5000, 300);
    });

    it('follows a change made elsewhere (gsettings), as the top bar does', async function () {
        shell.gsettingsSet(SCHEMA, 'show-percentage', 'false', schemaDir);
        await waitFor('the row shows Icon Only', () => combo()?.value === ICON_ONLY, 5000, 300);
        await waitFor('no percentage in the top bar', () => panelLabel()?.visible === false, 5000, 200);
        shell.gsettingsSet(SCHEMA, 'show-percentage', 'true', schemaDir);
        await waitFor('the row shows Icon and Percentage', () => combo()?.value === ICON_AND_PERCENT, 5000, 300);
        await waitFor('percentage back in the top bar', () => panelLabel()?.visible === true, 5000, 200);
    });

    it('closes on a real click on its Close button', async function () {
        const win = prefsWindow();
        assert.ok(win);
        const close = tree().find(n => n.role === 'button' && n.name === 'Close' && n.states.includes('showing'));
        assert.ok(close, 'Close button in the accessibility tree');
        click(...center(onScreen(win, close)));
        await waitFor('the window closed', () => prefsWindow() === undefined, 5000, 200);
    });

    it('opens again through org.gnome.Shell.Extensions.OpenExtensionPrefs on /org/gnome/Shell', async function () {
        shell.execOk(['gdbus', 'call', '--session', '--dest', 'org.gnome.Shell', '--object-path', '/org/gnome/Shell',
            '--method', 'org.gnome.Shell.Extensions.OpenExtensionPrefs', HEADROOM_UUID, '', '{}']);
        await waitFor('the Headroom preferences window', () => prefsWindow(), 15_000, 200);
        const c = await waitFor('the Indicator row', () => combo(), 10_000, 300);
        assert.equal(c.value, ICON_AND_PERCENT);
        shell.eval(`global.get_window_actors().map(a => a.meta_window)
            .filter(w => w.get_wm_class() === ${JSON.stringify(PREFS_APP)})
            .forEach(w => w.delete(global.display.get_current_time_roundtrip()))`);
        await waitFor('the window closed', () => prefsWindow() === undefined, 5000, 200);
    });

    it('logged no JS errors, criticals or headroom errors (shell and prefs process)', function () {
        const errors = logErrors(readFileSync(shell.paths.log, 'utf8'));
        assert.deepEqual(errors, [], `shell log (${shell.paths.log}) has errors:\n${errors.join('\n')}`);
    });
});
