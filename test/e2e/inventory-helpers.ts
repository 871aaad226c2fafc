// Helpers for inventory.e2e.ts: a writable copy of a cgroup fixture tree, a fake podman that records
// its argv, a tiny GTK4 app for the session, and a reader of the menu's rows (runs inside the shell).
import assert from 'node:assert/strict';
import {chmodSync, closeSync, cpSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync,
    renameSync, rmSync, writeFileSync, writeSync} from 'node:fs';
import {join} from 'node:path';
import {spawnSync} from 'node:child_process';
import {REPO_ROOT, psiText, type GnomeShellSession, type Psi} from './lib.js';

/**
 * Rewrites a file in place and never leaves it empty: the new text over the old from offset 0, then the file
 * cut to its length. writeFileSync truncates first, and a scan that read the file in between found it empty
 * (a memory.stat without pgscan: oomd's rule then counts that cgroup's whole pgscan as new, and an e2e run
 * named Evolution, or Firefox, instead of Jellyfin). The pump in notify-helpers.ts does the same.
 */
export function rewriteInPlace(path: string, text: string): void {
    const fd = openSync(path, 'r+');
    try {
        const data = Buffer.from(text);
        writeSync(fd, data, 0, data.length, 0);
        ftruncateSync(fd, data.length);
    } finally {
        closeSync(fd);
    }
}

export const MANAGER = 'user.slice/user-1000.slice/user@1000.service';
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');

// ---- writable fixture copy ------------------------------------------------------------------

/** A copy of test/fixtures/<name> in the shared folder; paths are below user@1000.service. */
export class FixtureCopy {
    readonly host: string;
    readonly inside: string;

    constructor(shell: GnomeShellSession, readonly name: string) {
        this.host = shell.hostPath(name);
        this.inside = shell.sessionPath(name);
    }

    create(): void {
        rmSync(this.host, {recursive: true, force: true});
        cpSync(join(FIXTURES, this.name), this.host, {recursive: true});
        spawnSync('chmod', ['-R', 'a+rX', this.host]);
    }

    dir(rel: string): string {
        return join(this.host, MANAGER, rel);
    }

    read(rel: string, file: string): string {
        return readFileSync(join(this.dir(rel), file), 'utf8');
    }

    /** Replaces a file at once (write + rename): a scan never sees it half written. */
    replace(rel: string, file: string, text: string): void {
        const path = join(this.dir(rel), file);
        const tmp = `${path}.tmp-${process.pid}`;
        writeFileSync(tmp, text);
        chmodSync(tmp, 0o644);
        renameSync(tmp, path);
    }

    /** Rewrites a file in place, as the kernel does: a file monitor on it sees CHANGED. */
    rewrite(rel: string, file: string, text: string): void {
        rewriteInPlace(join(this.dir(rel), file), text);
    }

    setPressure(rel: string, p: Psi): void {
        this.replace(rel, 'memory.pressure', psiText(p));
    }

    /** Adds `by` to the cumulative pgscan in memory.stat; returns the new value. */
    bumpPgscan(rel: string, by: number): number {
        let value = 0;
        const text = this.read(rel, 'memory.stat').replace(/^pgscan (\d+)$/m, (_m, n: string) => {
            value = Number(n) + by;
            return `pgscan ${value}`;
        });
        this.replace(rel, 'memory.stat', text);
        return value;
    }

    /** A leaf cgroup with the memory files the scanner reads. */
    addLeaf(rel: string, sizes: {current: number; anon: number; file: number}): void {
        const d = this.dir(rel);
        mkdirSync(d, {recursive: true});
        writeFileSync(join(d, 'memory.current'), `${sizes.current}\n`);
        writeFileSync(join(d, 'memory.stat'), `anon ${sizes.anon}\nfile ${sizes.file}\npgscan 0\npgsteal 0\n`);
        writeFileSync(join(d, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n');
        writeFileSync(join(d, 'memory.pressure'), psiText({some: 0, full: 0}));
        writeFileSync(join(d, 'cgroup.events'), 'populated 1\nfrozen 0\n');
        spawnSync('chmod', ['-R', 'a+rX', d]);
    }

    remove(rel: string): void {
        rmSync(this.dir(rel), {recursive: true, force: true});
    }

    /** The 64-hex id in the one `libpod-payload-<id>` child of `rel`. */
    payloadId(rel: string): string {
        const ids = readdirSync(this.dir(rel)).flatMap(n => {
            const m = /^libpod-payload-([0-9a-f]{64})$/.exec(n);
            return m ? [m[1] as string] : [];
        });
        assert.equal(ids.length, 1, `one libpod payload below ${rel}`);
        return ids[0] as string;
    }

    /** The 64-hex id of the one `libpod-<id>.scope` in `rel`. */
    scopeId(rel: string): string {
        const ids = readdirSync(this.dir(rel)).flatMap(n => {
            const m = /^libpod-([0-9a-f]{64})\.scope$/.exec(n);
            return m ? [m[1] as string] : [];
        });
        assert.equal(ids.length, 1, `one libpod scope below ${rel}`);
        return ids[0] as string;
    }
}

// ---- fake podman ------------------------------------------------------------------------------

export type PodmanMode = 'ok' | 'fail' | 'hang';

/** What the fake prints on stderr in `fail` mode (podman's own words, as the user should see them). */
export const PODMAN_FAILURE = 'Error: OCI runtime error: crun: fake podman refuses for the e2e test';

/**
 * A podman stand-in in the shared folder. Every call appends its argv to fake-podman.log, one line,
 * each argument quoted by bash's ${*@Q} ('pause' '3f9c…'). `ps` prints fake-podman.ps.json. Other
 * commands follow fake-podman.mode: ok (exit 0), fail (PODMAN_FAILURE on stderr, exit 1), hang (wait
 * until fake-podman.release exists, then exit 0).
 */
export class FakePodman {
    readonly command: string;
    private readonly _dir: string;
    private readonly _insideDir: string;

    constructor(shell: GnomeShellSession) {
        this._dir = shell.hostPath();
        this._insideDir = shell.sessionPath();
        this.command = shell.sessionPath('fake-podman');
    }

    private _file(name: string): string {
        return join(this._dir, name);
    }

    install(containers: {id: string; name: string; unit?: string}[]): void {
        const d = this._insideDir;
        const script = `#!/bin/bash
# Fake podman for Headroom's e2e tests (test/e2e/inventory-helpers.ts).
printf '%s\\n' "\${*@Q}" >> ${d}/fake-podman.log
if [ "$1" = ps ]; then cat ${d}/fake-podman.ps.json; exit 0; fi
case "$(cat ${d}/fake-podman.mode 2>/dev/null)" in
  fail) echo ${JSON.stringify(PODMAN_FAILURE)} >&2; exit 1 ;;
  hang) while [ ! -e ${d}/fake-podman.release ]; do sleep 0.05; done ;;
esac
exit 0
`;
        writeFileSync(this._file('fake-podman'), script);
        chmodSync(this._file('fake-podman'), 0o755);
        // The shape of `podman ps --all --format json`, with only the fields Headroom reads.
        writeFileSync(this._file('fake-podman.ps.json'), JSON.stringify(containers.map(c => ({
            Id: c.id, Names: [c.name], State: 'running',
            Labels: c.unit !== undefined ? {PODMAN_SYSTEMD_UNIT: c.unit} : {},
        }))));
        chmodSync(this._file('fake-podman.ps.json'), 0o644);
        this.setMode('ok');
        this.clearLog();
    }

    setMode(mode: PodmanMode): void {
        rmSync(this._file('fake-podman.release'), {force: true});
        writeFileSync(this._file('fake-podman.mode'), `${mode}\n`);
        chmodSync(this._file('fake-podman.mode'), 0o644);
    }

    /** Lets a hanging call finish (exit 0). */
    release(): void {
        writeFileSync(this._file('fake-podman.release'), '');
    }

    clearLog(): void {
        writeFileSync(this._file('fake-podman.log'), '');
        chmodSync(this._file('fake-podman.log'), 0o666); // the fake runs as uid 1000
    }

    /** The calls so far, each as its argv without the program. */
    calls(): string[][] {
        const f = this._file('fake-podman.log');
        if (!existsSync(f))
            return [];
        return readFileSync(f, 'utf8').split('\n').filter(l => l !== '').map(parseBashQuoted);
    }
}

/**
 * Headroom's settings (a keyfile for shell.start) for a session on a fixture copy: its cgroup and proc
 * roots, the fake podman, scans every second while the menu is open; `extra` adds key=value lines.
 */
export function fixtureSettings(seed: FixtureCopy, podman: FakePodman, extra = ''): string {
    return '[org/gnome/shell/extensions/headroom]\n' +
        `cgroup-root='${seed.inside}'\nproc-root='${seed.inside}/proc'\n` +
        `podman-command='${podman.command}'\nscan-interval-active-seconds=1\n${extra}`;
}

/** Parses one line of bash's ${*@Q}: words of '…' pieces joined with \' (quote). */
export function parseBashQuoted(line: string): string[] {
    const words: string[] = [];
    let i = 0;
    while (i < line.length) {
        if (line[i] === ' ') {
            i++;
            continue;
        }
        let word = '';
        while (i < line.length && line[i] !== ' ') {
            if (line[i] === '\'') {
                const end = line.indexOf('\'', i + 1);
                assert.ok(end > i, `unterminated quote in ${line}`);
                word += line.slice(i + 1, end);
                i = end + 1;
            } else if (line.startsWith('\\\'', i)) {
                word += '\'';
                i += 2;
            } else {
                assert.fail(`unexpected text at ${i} in the fake podman's log line ${line}`);
            }
        }
        words.push(word);
    }
    return words;
}

// ---- a real app in the session ----------------------------------------------------------------

export const TEST_APP_ID = 'org.headroom.TestApp';
export const TEST_APP_NAME = 'Headroom Test App';

/**
 * A GTK4 app in GJS (application id org.headroom.TestApp, one window) with its .desktop file in the
 * session's ~/.local/share/applications. Its output goes to testapp.log in the shared folder, not
 * into the shell's log.
 */
export function installTestApp(shell: GnomeShellSession): void {
    const script = shell.hostPath('inventory-testapp.js');
    writeFileSync(script, `import Gtk from 'gi://Gtk?version=4.0';
const app = new Gtk.Application({application_id: '${TEST_APP_ID}'});
app.connect('activate', () => {
    const win = new Gtk.ApplicationWindow({application: app, title: '${TEST_APP_NAME}',
        default_width: 360, default_height: 200});
    win.set_child(new Gtk.Label({label: 'Headroom e2e test app'}));
    win.present();
});
app.run([]);
`);
    chmodSync(script, 0o644);
    const apps = join(shell.paths.home, '.local', 'share', 'applications');
    mkdirSync(apps, {recursive: true});
    const inside = shell.sessionPath('inventory-testapp.js');
    const log = shell.sessionPath('testapp.log');
    writeFileSync(join(apps, `${TEST_APP_ID}.desktop`), `[Desktop Entry]
Type=Application
Name=${TEST_APP_NAME}
Exec=sh -c 'GSK_RENDERER=cairo exec gjs -m ${inside} >>${log} 2>&1'
Icon=utilities-terminal
`);
    spawnSync('chown', ['-R', '1000:1000', join(shell.paths.root, 'home', 'tester', '.local', 'share')]);
}

// ---- the menu as the user sees it ----------------------------------------------------------------

export interface MenuButton {
    label: string;
    accessible: string;
    reactive: boolean;
    x: number;
    y: number;
}

export interface MenuRow {
    name: string;
    /** The name label's text exactly as Pango lays it out (no markup applied). */
    layoutText: string;
    useMarkup: boolean;
    detail: string;
    detailError: boolean;
    badges: {text: string; classes: string}[];
    memory: string;
    icon: string;
    buttons: MenuButton[];
}

export interface MenuSection {
    title: string;
    rows: MenuRow[];
    /** Visible one-line items after the rows ("and 3 more apps", notes, totals). */
    infos: string[];
}

export interface MenuState {
    open: boolean;
    title: string;
    victim: string | null;
    /** What follows each visible separator: "Apps", "Containers", and '' (the Settings item). */
    sections: MenuSection[];
    /** Bottom of the menu in stage coordinates, and the stage height. */
    bottom: number;
    stageHeight: number;
}

/** JS (evaluated in the shell) that returns a MenuState for the Headroom button. */
export function menuStateJs(uuid: string): string {
    return `(() => {
    const b = Main.panel.statusArea[${JSON.stringify(uuid)}];
    if (!b) return null;
    const has = (a, c) => a.has_style_class_name?.(c) ?? false;
    const find = (a, pred) => { if (pred(a)) return a; for (const c of a.get_children()) { const r = find(c, pred); if (r) return r; } return null; };
    const all = (a, pred, out = []) => { if (!a.visible) return out; if (pred(a)) out.push(a); for (const c of a.get_children()) all(c, pred, out); return out; };
    const title = find(b.menu.box, a => a instanceof St.Label && has(a, 'headroom-menu-header'));
    const victim = find(b.menu.box, a => a instanceof St.Label && has(a, 'headroom-victim'));
    const sections = [];
    const walk = a => {
        if (!a.visible) return;
        if (a.constructor.name === 'PopupSeparatorMenuItem') {
            sections.push({title: a.label?.text ?? '', rows: [], infos: []});
            return;
        }
        const cur = sections[sections.length - 1];
        if (cur && has(a, 'headroom-row')) {
            const label = c => find(a, x => x instanceof St.Label && has(x, c));
            const name = label('headroom-row-name');
            const detail = label('headroom-detail');
            const icon = find(a, x => x instanceof St.Icon && has(x, 'headroom-row-icon'));
            cur.rows.push({
                name: name.text, layoutText: name.clutter_text.get_layout().get_text(),
                useMarkup: name.clutter_text.use_markup,
                detail: detail.text, detailError: has(detail, 'headroom-error'),
                badges: all(a, x => x instanceof St.Label && has(x, 'headroom-badge'))
                    .map(x => ({text: x.text, classes: x.get_style_class_name()})),
                memory: label('headroom-row-memory').text,
                icon: icon?.gicon?.to_string?.() ?? '',
                buttons: all(a, x => x instanceof St.Button && has(x, 'headroom-action')).map(x => {
                    const [cx, cy] = actorCenter(x);
                    return {label: x.label, accessible: x.accessible_name, reactive: x.reactive, x: cx, y: cy};
                }),
            });
            return;
        }
        if (cur && a.constructor.name === 'PopupMenuItem' && a.label?.text) {
            cur.infos.push(a.label.text);
            return;
        }
        for (const c of a.get_children()) walk(c);
    };
    walk(b.menu.box);
    const [, y] = b.menu.actor.get_transformed_position();
    const [, h] = b.menu.actor.get_transformed_size();
    return {open: b.menu.isOpen, title: title?.text ?? '', victim: victim?.visible ? victim.text : null,
        sections, bottom: Math.round(y + h), stageHeight: global.stage.height};
})()`;
}
