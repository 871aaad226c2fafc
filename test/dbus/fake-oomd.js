// A stand-in for systemd-oomd's D-Bus API (src/oom/oomd-manager-bus.c), for the adapter tests.
//
//   gjs -m test/dbus/fake-oomd.js <bus address> <dump file>
//
// Owns org.freedesktop.oom1 and exports /org/freedesktop/oom1 with org.freedesktop.oom1.Manager:
// DumpByFileDescriptor(out h fd) and the signal Killed(s cgroup, s reason). The dump is the text of a
// file (a fixture from test/fixtures/oomd/), handed out as a descriptor of that file, or of a pipe.
//
// The tests drive it through org.headroom.Test.FakeOomd (always owned, also while oom1 is not):
//   SetDump(s path), SetMode(s mode) with mode ok | pipe | two-fds | no-fd | denied,
//   SetPresent(b) (own or release org.freedesktop.oom1), Restart() (release, then own again),
//   EmitKilled(s cgroup, s reason), Quit().
// It prints "ready" on stdout once both names are owned, and exits when its bus goes away.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import System from 'system';

const [address, initialDump] = System.programArgs;
if (!address || !initialDump) {
    printerr('usage: fake-oomd.js <bus address> <dump file>');
    System.exit(2);
}

const MANAGER_XML = `<node><interface name="org.freedesktop.oom1.Manager">
  <method name="DumpByFileDescriptor"><arg type="h" name="fd" direction="out"/></method>
  <signal name="Killed"><arg type="s" name="cgroup"/><arg type="s" name="reason"/></signal>
</interface></node>`;

const CONTROL_XML = `<node><interface name="org.headroom.Test.FakeOomd">
  <method name="SetDump"><arg type="s" name="path" direction="in"/></method>
  <method name="SetMode"><arg type="s" name="mode" direction="in"/></method>
  <method name="SetPresent"><arg type="b" name="present" direction="in"/></method>
  <method name="Restart"/>
  <method name="EmitKilled"><arg type="s" name="cgroup" direction="in"/><arg type="s" name="reason" direction="in"/></method>
  <method name="Quit"/>
</interface></node>`;

const loop = new GLib.MainLoop(null, false);
const bus = Gio.DBusConnection.new_for_address_sync(address,
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, null, null);
bus.connect('closed', () => loop.quit());

let dumpPath = initialDump;
let mode = 'ok';

function requestName(name) {
    // DBUS_NAME_FLAG_DO_NOT_QUEUE = 4; reply 1 = primary owner.
    const [reply] = bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
        'RequestName', new GLib.Variant('(su)', [name, 4]), new GLib.VariantType('(u)'),
        Gio.DBusCallFlags.NONE, -1, null).deepUnpack();
    if (reply !== 1)
        throw new Error(`could not own ${name} (${reply})`);
}

function releaseName(name) {
    bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'ReleaseName',
        new GLib.Variant('(s)', [name]), new GLib.VariantType('(u)'), Gio.DBusCallFlags.NONE, -1, null);
}

/** A descriptor for the dump: of the file itself, or of a pipe `cat` has written it into. */
function dumpDescriptor(list) {
    if (mode === 'pipe') {
        // Raw descriptors from GLib.spawn: the same on every GLib (GSubprocess's pipe streams moved
        // to GioUnix in 2.80). The dump is small enough for the pipe's buffer.
        const [, , stdin, stdout, stderr] = GLib.spawn_async_with_pipes(null, ['cat', dumpPath], null,
            GLib.SpawnFlags.SEARCH_PATH, null);
        const index = list.append(stdout);
        [stdin, stdout, stderr].forEach(fd => GLib.close(fd));
        return index;
    }
    const stream = Gio.File.new_for_path(dumpPath).read(null);
    const index = list.append(stream.get_fd()); // append() duplicates the descriptor
    stream.close(null);
    return index;
}

const manager = Gio.DBusExportedObject.wrapJSObject(MANAGER_XML, {
    DumpByFileDescriptor() {
        if (mode === 'denied') {
            const e = new Error('Access denied by the test; type="method_call", sender=":1.5" (uid=1000 pid=42 comm="gjs") interface="org.freedesktop.oom1.Manager"');
            e.name = 'org.freedesktop.DBus.Error.AccessDenied';
            throw e;
        }
        const list = new Gio.UnixFDList();
        if (mode === 'no-fd')
            return [0, list]; // a handle that points nowhere
        if (mode === 'two-fds') {
            dumpDescriptor(list); // an extra descriptor before the real one
            return [dumpDescriptor(list), list];
        }
        return [dumpDescriptor(list), list];
    },
});
manager.export(bus, '/org/freedesktop/oom1');

function emitKilled(cgroup, reason) {
    bus.emit_signal(null, '/org/freedesktop/oom1', 'org.freedesktop.oom1.Manager', 'Killed',
        new GLib.Variant('(ss)', [cgroup, reason]));
}

let present = false;
const control = Gio.DBusExportedObject.wrapJSObject(CONTROL_XML, {
    SetDump(path) {
        dumpPath = path;
    },
    SetMode(m) {
        mode = m;
    },
    SetPresent(want) {
        if (want && !present)
            requestName('org.freedesktop.oom1');
        else if (!want && present)
            releaseName('org.freedesktop.oom1');
        present = want;
    },
    Restart() {
        if (present)
            releaseName('org.freedesktop.oom1');
        requestName('org.freedesktop.oom1');
        present = true;
    },
    EmitKilled(cgroup, reason) {
        emitKilled(cgroup, reason);
    },
    Quit() {
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            loop.quit();
            return GLib.SOURCE_REMOVE;
        });
    },
});
control.export(bus, '/org/headroom/Test');

requestName('org.headroom.Test.FakeOomd');
requestName('org.freedesktop.oom1');
present = true;
print('ready');
loop.run();
