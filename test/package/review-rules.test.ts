// tools/review-check.mjs on small bundles: each rule fires on code that breaks it and stays quiet on
// code like Headroom's own.

import assert from 'node:assert/strict';

import { checkBundle } from '../../tools/review-check.mjs';

type Role = 'extension' | 'prefs';

function rules(text: string, role: Role = 'extension'): string[] {
    return checkBundle(text, role).map(f => f.rule);
}

const GOOD_EXTENSION = `
import Gio from "gi://Gio";
import GObject from "gi://GObject";
import St from "gi://St";
import * as Main from "resource:///org/gnome/shell/ui/main.js";
import { Extension } from "resource:///org/gnome/shell/extensions/extension.js";
var LIMIT = 80;
var WARN = LIMIT / 2;
var LINE = /^(some|full) avg10=(\\d+)$/;
var NAMES = Object.freeze({ ok: "headroom-ok", red: \`headroom-\${"red"}\` });
var decoder = new TextDecoder("utf-8");
var holds = (unit, path) => path === unit;
var Row = class extends St.BoxLayout {
  static {
    GObject.registerClass(this);
  }
  static [GObject.properties] = { busy: GObject.ParamSpec.boolean("busy", "", "", GObject.ParamFlags.READWRITE, false) };
  _label = new St.Label();
};
function run(argv) {
  return Gio.Subprocess.new(argv, Gio.SubprocessFlags.STDOUT_PIPE);
}
var HeadroomExtension = class extends Extension {
  _disposer = null;
  enable() {
    this._settings = this.getSettings();
    Main.panel.addToStatusArea(this.uuid, new Row());
    run(["podman", "ps"]);
  }
  disable() {
    this._settings = null;
  }
};
export {
  HeadroomExtension as default
};
`;

const GOOD_PREFS = `
import Adw from "gi://Adw";
import Gtk from "gi://Gtk?version=4.0";
import { ExtensionPreferences, gettext as _ } from "resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js";
var HeadroomPreferences = class extends ExtensionPreferences {
  fillPreferencesWindow(window) {
    window.add(new Adw.PreferencesPage({ title: _("General") }));
    return Promise.resolve();
  }
};
export {
  HeadroomPreferences as default
};
`;

describe('review-check', function () {
    it('accepts code that follows the rules', function () {
        assert.deepEqual(checkBundle(GOOD_EXTENSION, 'extension'), []);
        assert.deepEqual(checkBundle(GOOD_PREFS, 'prefs'), []);
    });

    const cases: [string, Role, string, string][] = [
        ['Gtk in the shell', 'extension', 'shell-side-import', 'import Gtk from "gi://Gtk";'],
        ['Gdk in the shell', 'extension', 'shell-side-import', 'import Gdk from "gi://Gdk?version=4.0";'],
        ['Adw in the shell, loaded later', 'extension', 'shell-side-import', 'function f() { return import("gi://Adw"); }'],
        ['the prefs module in the shell', 'extension', 'shell-side-import',
            'import { gettext } from "resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js";'],
        ['a shell module in prefs', 'prefs', 'prefs-side-import', 'import * as Main from "resource:///org/gnome/shell/ui/main.js";'],
        ['St in prefs', 'prefs', 'prefs-side-import', 'import St from "gi://St";'],
        ['Clutter in prefs', 'prefs', 'prefs-side-import', 'import Clutter from "gi://Clutter";'],
        ['Meta in prefs', 'prefs', 'prefs-side-import', 'import Meta from "gi://Meta";'],
        ['Shell in prefs', 'prefs', 'prefs-side-import', 'import Shell from "gi://Shell";'],
        ['a pinned St', 'extension', 'pinned-shell-library', 'import St from "gi://St?version=16";'],
        ['GLib.spawn_sync', 'extension', 'sync-subprocess', 'function f() { GLib.spawn_sync(null, ["ls"], null, 0, null); }'],
        ['spawn_command_line_sync', 'extension', 'sync-subprocess', 'function f() { GLib.spawn_command_line_sync("ls"); }'],
        ['waiting for a subprocess', 'extension', 'sync-subprocess', 'function f(p) { return p.communicate_utf8_sync(null, null); }'],
        ['spawn_command_line_async', 'extension', 'command-line', 'function f() { GLib.spawn_command_line_async("podman ps"); }'],
        ['Gio.Subprocess running /bin/sh', 'extension', 'shell-command',
            'function f() { return Gio.Subprocess.new(["/bin/sh", "-c", "podman ps"], 0); }'],
        ['spawn_async running sh -c', 'prefs', 'shell-command',
            'function f() { GLib.spawn_async(null, ["sh", "-c", "ls"], null, 0, null); }'],
        ['bash -c through a launcher', 'extension', 'shell-command',
            'function f(l) { return l.spawnv(["bash", "-c", "kill 1"]); }'],
        ['imports.lang', 'extension', 'deprecated-module', 'function f() { return imports.lang; }'],
        ['Mainloop', 'extension', 'deprecated-module', 'function f() { Mainloop.timeout_add(10, () => false); }'],
        ['ByteArray', 'prefs', 'deprecated-module', 'function f(b) { return ByteArray.toString(b); }'],
        ['any legacy import', 'extension', 'deprecated-module', 'function f() { return imports.gi.GLib; }'],
        ['a GObject at module scope', 'extension', 'import-time-work', 'var settings = new Gio.Settings({ schema_id: "x" });'],
        ['a call at module scope', 'extension', 'import-time-work', 'var home = GLib.get_home_dir();'],
        ['a statement at module scope', 'extension', 'import-time-work', 'GLib.timeout_add(0, 1000, () => true);'],
        ['a signal at module scope', 'prefs', 'import-time-work', 'global.display.connect("x", () => {});'],
        ['a call inside a literal', 'extension', 'import-time-work', 'var table = { home: GLib.get_home_dir() };'],
        ['work in a static block', 'extension', 'import-time-work',
            'var A = class extends St.Widget { static { GObject.registerClass(this); console.log("loaded"); } };'],
        ['work in a static field', 'extension', 'import-time-work', 'class A { static cache = loadCache(); }'],
        ['an if at module scope', 'extension', 'import-time-work', 'if (GLib.getenv("X")) console.log(1);'],
        ['settings in the Extension constructor', 'extension', 'constructor-work',
            'var E = class extends Extension { constructor(m) { super(m); this._settings = this.getSettings(); } };\nexport { E as default };'],
        ['a signal in the Extension constructor', 'extension', 'constructor-work',
            'var E = class extends Extension { constructor(m) { super(m); global.display.connect("x", f); } };\nexport { E as default };'],
        ['a field initialised with a widget', 'extension', 'constructor-work',
            'var E = class extends Extension { _button = new St.Button(); };\nexport { E as default };'],
        ['an API GNOME 51 removed', 'extension', 'removed-api', 'function f() { return Clutter.get_default_backend(); }'],
    ];
    for (const [what, role, rule, code] of cases) {
        it(`finds ${what} (${rule})`, function () {
            assert.ok(rules(code, role).includes(rule), `${rule} not reported for: ${code}`);
        });
    }

    it('names the line of each finding', function () {
        const findings = checkBundle('import Gio from "gi://Gio";\n\nvar x = Gio.File.new_for_path("/");\n', 'extension', 'x.js');
        assert.deepEqual(findings.map(f => [f.file, f.line, f.rule]), [['x.js', 3, 'import-time-work']]);
    });

    it('reads no comment or string as code', function () {
        const code = '// GLib.spawn_sync, imports.lang, Mainloop\nvar HELP = "never use spawn_command_line_sync or sh -c";\n';
        assert.deepEqual(rules(code), []);
    });
});
