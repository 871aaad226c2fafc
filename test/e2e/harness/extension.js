/* global global */
// Test-only harness extension for Headroom's end-to-end tests. NEVER shipped.
// Exposes org.gnome.Shell.E2E.Eval(s) -> (bs) on the session bus at /org/gnome/Shell/E2E.
// Eval'd code sees Main, GLib, Gio, Clutter, St, Meta, Shell and the helpers below; a returned
// promise is awaited and the result JSON-stringified.
import Clutter from 'gi://Clutter';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Meta from 'gi://Meta';
import Shell from 'gi://Shell';
import St from 'gi://St';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';

const IFACE = `
<node>
  <interface name="org.gnome.Shell.E2E">
    <method name="Eval">
      <arg type="s" direction="in" name="code"/>
      <arg type="b" direction="out" name="success"/>
      <arg type="s" direction="out" name="result"/>
    </method>
  </interface>
</node>`;

function sleep(ms) {
    return new Promise(resolve => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            resolve();
            return GLib.SOURCE_REMOVE;
        });
    });
}

function actorCenter(actor) {
    const [x, y] = actor.get_transformed_position();
    const [w, h] = actor.get_transformed_size();
    return [Math.round(x + w / 2), Math.round(y + h / 2)];
}

let pointer = null;
// On GNOME 51 a button event sent right after the new device's first motion did not reach a Wayland
// client (the GTK4 prefs window): the device settles once before its first use.
async function getPointer() {
    if (!pointer) {
        const seat = global.stage.context.get_backend().get_default_seat();
        pointer = seat.create_virtual_device(Clutter.InputDeviceType.POINTER_DEVICE);
        await sleep(200);
    }
    return pointer;
}

async function click(x, y, button = Clutter.BUTTON_PRIMARY) {
    const p = await getPointer();
    p.notify_absolute_motion(GLib.get_monotonic_time(), x, y);
    await sleep(50);
    p.notify_button(GLib.get_monotonic_time(), button, Clutter.ButtonState.PRESSED);
    await sleep(50);
    p.notify_button(GLib.get_monotonic_time(), button, Clutter.ButtonState.RELEASED);
    await sleep(50);
}

async function moveTo(x, y) {
    (await getPointer()).notify_absolute_motion(GLib.get_monotonic_time(), x, y);
    await sleep(50);
}

// screenshot(path) -> whole stage; screenshot(path, x, y, w, h) -> area.
function screenshot(path, x, y, w, h) {
    return new Promise((resolve, reject) => {
        const file = Gio.File.new_for_path(path);
        const stream = file.replace(null, false, Gio.FileCreateFlags.NONE, null);
        const shooter = new Shell.Screenshot();
        const done = (obj, res) => {
            try {
                if (x === undefined)
                    shooter.screenshot_finish(res);
                else
                    shooter.screenshot_area_finish(res);
                stream.close(null);
                resolve(path);
            } catch (e) {
                reject(e);
            }
        };
        if (x === undefined)
            shooter.screenshot(false, stream, done);
        else
            shooter.screenshot_area(x, y, w, h, stream, done);
    });
}

// Keep the names referenced so they are in scope for eval'd code.
const SCOPE = {Main, GLib, Gio, Clutter, St, Meta, Shell, sleep, actorCenter, click, moveTo, screenshot};

export default class E2EHarness extends Extension {
    enable() {
        this._dbus = Gio.DBusExportedObject.wrapJSObject(IFACE, this);
        this._dbus.export(Gio.DBus.session, '/org/gnome/Shell/E2E');
        this._nameId = Gio.bus_own_name_on_connection(Gio.DBus.session, 'org.gnome.Shell.E2E',
            Gio.BusNameOwnerFlags.REPLACE, null, null);
    }

    disable() {
        if (this._nameId) {
            Gio.bus_unown_name(this._nameId);
            this._nameId = 0;
        }
        if (this._dbus) {
            this._dbus.unexport();
            this._dbus = null;
        }
    }

    async EvalAsync([code], invocation) {
        try {
            void SCOPE;
            const value = await eval(code);
            let json;
            try {
                json = value === undefined ? '' : JSON.stringify(value);
            } catch {
                json = String(value);
            }
            invocation.return_value(new GLib.Variant('(bs)', [true, json ?? '']));
        } catch (e) {
            invocation.return_value(new GLib.Variant('(bs)', [false, `${e}\n${e?.stack ?? ''}`]));
        }
    }
}
