// A stand-in for the part of a systemd manager (PID 1 on the system bus, the user manager on the
// session bus) that Headroom reads, for the adapter tests.
//
//   gjs -m test/dbus/fake-systemd.js <bus address> <units.json>
//
// Owns org.freedesktop.systemd1 and exports, as src/core/dbus-manager.c and dbus-unit.c do:
//   /org/freedesktop/systemd1  org.freedesktop.systemd1.Manager: GetUnit(s) -> o (NoSuchUnit when the
//     unit is not listed), Subscribe(), Unsubscribe() (AlreadySubscribed / NotSubscribed per client),
//     signals UnitNew(so), UnitRemoved(so), Reloading(b);
//   /org/freedesktop/systemd1/unit/<escaped name>  org.freedesktop.systemd1.Unit (Id, ActiveState, SubState,
//     ActiveEnterTimestampMonotonic), for services org.freedesktop.systemd1.Service (NRestarts, Result) and,
//     for slices, org.freedesktop.systemd1.Slice (ControlGroup, ManagedOOM*, MemoryMax).
//
// units.json maps unit names to { id, activeState, subState, nRestarts, controlGroup, pressure, limit,
// durationUSec, broken } (id: the Id when the name is an alias; ActiveEnterTimestampMonotonic starts at 1 µs):
// limit is the raw `u` (UINT32 scale, 0 = oomd's default), durationUSec a decimal string or null
// (null = unset = UINT64_MAX, oomd's default), as systemd encodes them (notes §7); broken leaves out
// a slice's Slice interface, so GetAll on it fails.
//
// The tests drive it through org.headroom.Test.FakeSystemd at /org/headroom/Test:
//   SetUnits(s json), EmitUnitNew(s name), EmitUnitRemoved(s name), EmitReloading(b),
//   EmitPropertiesChanged(s name, s interface), Subscribers() -> as, Quit(),
//   SetUnitState(s name, s json, b signal): sets activeState, subState, nRestarts, result of a listed unit,
//     and with "entered": true ActiveEnterTimestampMonotonic to now, as a service going down, through
//     auto-restart and up again does; with signal, PropertiesChanged of what changed, as systemd sends it
//     to subscribed clients.
// It prints "ready" on stdout once its names are owned, and exits when its bus goes away.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import System from 'system';

const [address, unitsFile] = System.programArgs;
if (!address || !unitsFile) {
    printerr('usage: fake-systemd.js <bus address> <units.json>');
    System.exit(2);
}

const UINT64_MAX = 2n ** 64n - 1n;

const MANAGER_XML = `<node><interface name="org.freedesktop.systemd1.Manager">
  <method name="GetUnit"><arg type="s" name="name" direction="in"/><arg type="o" name="unit" direction="out"/></method>
  <method name="Subscribe"/>
  <method name="Unsubscribe"/>
  <signal name="UnitNew"><arg type="s" name="id"/><arg type="o" name="unit"/></signal>
  <signal name="UnitRemoved"><arg type="s" name="id"/><arg type="o" name="unit"/></signal>
  <signal name="Reloading"><arg type="b" name="active"/></signal>
</interface></node>`;

const UNIT_XML = `<node><interface name="org.freedesktop.systemd1.Unit">
  <property name="Id" type="s" access="read"/>
  <property name="ActiveState" type="s" access="read"/>
  <property name="SubState" type="s" access="read"/>
  <property name="ActiveEnterTimestampMonotonic" type="t" access="read"/>
</interface></node>`;

const SERVICE_XML = `<node><interface name="org.freedesktop.systemd1.Service">
  <property name="NRestarts" type="u" access="read"/>
  <property name="Result" type="s" access="read"/>
</interface></node>`;

const SLICE_XML = `<node><interface name="org.freedesktop.systemd1.Slice">
  <property name="Slice" type="s" access="read"/>
  <property name="ControlGroup" type="s" access="read"/>
  <property name="MemoryMax" type="t" access="read"/>
  <property name="ManagedOOMSwap" type="s" access="read"/>
  <property name="ManagedOOMMemoryPressure" type="s" access="read"/>
  <property name="ManagedOOMMemoryPressureLimit" type="u" access="read"/>
  <property name="ManagedOOMMemoryPressureDurationUSec" type="t" access="read"/>
  <property name="ManagedOOMPreference" type="s" access="read"/>
</interface></node>`;

// Each unit's objects are made anew at every SetUnits, so their interface infos are parsed once, here. GJS's
// wrapJSObject(xml) parses a new info at every call and builds GLib's per-info lookup cache, keyed by its
// address, which it never releases; an info freed by the garbage collector left its cache behind, and a
// new info at the same address found it: Get answered "No such property “ActiveState”" for a Unit, now and
// then, under load (a Service's table stood in for it).
const UNIT_INFO = Gio.DBusInterfaceInfo.new_for_xml(UNIT_XML);
const SERVICE_INFO = Gio.DBusInterfaceInfo.new_for_xml(SERVICE_XML);
const SLICE_INFO = Gio.DBusInterfaceInfo.new_for_xml(SLICE_XML);

const CONTROL_XML = `<node><interface name="org.headroom.Test.FakeSystemd">
  <method name="SetUnits"><arg type="s" name="json" direction="in"/></method>
  <method name="EmitUnitNew"><arg type="s" name="name" direction="in"/></method>
  <method name="EmitUnitRemoved"><arg type="s" name="name" direction="in"/></method>
  <method name="EmitReloading"><arg type="b" name="active" direction="in"/></method>
  <method name="EmitPropertiesChanged"><arg type="s" name="name" direction="in"/><arg type="s" name="interface" direction="in"/></method>
  <method name="Subscribers"><arg type="as" name="names" direction="out"/></method>
  <method name="SetUnitState"><arg type="s" name="name" direction="in"/><arg type="s" name="json" direction="in"/><arg type="b" name="signal" direction="in"/></method>
  <method name="Quit"/>
</interface></node>`;

const loop = new GLib.MainLoop(null, false);
const bus = Gio.DBusConnection.new_for_address_sync(address,
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, null, null);
bus.connect('closed', () => loop.quit());

/** systemd's bus_label_escape(): [A-Za-z0-9] stay, everything else becomes _xx. */
function unitPath(name) {
    let out = '';
    for (const byte of new TextEncoder().encode(name)) {
        const c = String.fromCharCode(byte);
        out += /[A-Za-z0-9]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
    }
    return `/org/freedesktop/systemd1/unit/${out}`;
}

function dbusError(name, message) {
    const e = new Error(message);
    e.name = name;
    return e;
}

/** unit name → the exported objects: [Unit, then Service or Slice when there is one] */
const exported = new Map();
/** unit name → the JS objects behind the Unit and Service interfaces, whose fields Get reads */
const states = new Map();

function setUnits(units) {
    for (const objects of exported.values())
        objects.forEach(o => o.unexport());
    exported.clear();
    states.clear();
    for (const [name, u] of Object.entries(units)) {
        const path = unitPath(name);
        const unit = {
            Id: u.id ?? name,
            ActiveState: u.activeState ?? 'active',
            SubState: u.subState ?? ((u.activeState ?? 'active') === 'active' ? 'running' : 'dead'),
            ActiveEnterTimestampMonotonic: 1n,
        };
        const service = { NRestarts: u.nRestarts ?? 0, Result: 'success' };
        const objects = [Gio.DBusExportedObject.wrapJSObject(UNIT_INFO, unit)];
        if (name.endsWith('.service'))
            objects.push(Gio.DBusExportedObject.wrapJSObject(SERVICE_INFO, service));
        states.set(name, { unit, service });
        if (name.endsWith('.slice') && !u.broken) {
            objects.push(Gio.DBusExportedObject.wrapJSObject(SLICE_INFO, {
                Slice: '-.slice',
                ControlGroup: u.controlGroup ?? '',
                MemoryMax: UINT64_MAX,
                ManagedOOMSwap: 'auto',
                ManagedOOMMemoryPressure: u.pressure ?? 'auto',
                ManagedOOMMemoryPressureLimit: u.limit ?? 0,
                ManagedOOMMemoryPressureDurationUSec: u.durationUSec === null || u.durationUSec === undefined
                    ? UINT64_MAX : BigInt(u.durationUSec),
                ManagedOOMPreference: 'none',
            }));
        }
        objects.forEach(o => o.export(bus, path));
        exported.set(name, objects);
    }
}

const subscribers = new Set();

const manager = Gio.DBusExportedObject.wrapJSObject(MANAGER_XML, {
    GetUnit(name) {
        if (!exported.has(name))
            throw dbusError('org.freedesktop.systemd1.NoSuchUnit', `Unit ${name} not loaded.`);
        return unitPath(name);
    },
    SubscribeAsync(_params, invocation) {
        const sender = invocation.get_sender();
        if (subscribers.has(sender)) {
            invocation.return_dbus_error('org.freedesktop.systemd1.AlreadySubscribed', 'Client is already subscribed.');
            return;
        }
        subscribers.add(sender);
        invocation.return_value(null);
    },
    UnsubscribeAsync(_params, invocation) {
        const sender = invocation.get_sender();
        if (!subscribers.delete(sender)) {
            invocation.return_dbus_error('org.freedesktop.systemd1.NotSubscribed', 'Client is not subscribed.');
            return;
        }
        invocation.return_value(null);
    },
});
manager.export(bus, '/org/freedesktop/systemd1');

function emit(path, iface, signal, params) {
    bus.emit_signal(null, path, iface, signal, params);
}

const control = Gio.DBusExportedObject.wrapJSObject(CONTROL_XML, {
    SetUnits(json) {
        setUnits(JSON.parse(json));
    },
    EmitUnitNew(name) {
        emit('/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'UnitNew',
            new GLib.Variant('(so)', [name, unitPath(name)]));
    },
    EmitUnitRemoved(name) {
        emit('/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'UnitRemoved',
            new GLib.Variant('(so)', [name, unitPath(name)]));
    },
    EmitReloading(active) {
        emit('/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'Reloading',
            new GLib.Variant('(b)', [active]));
    },
    EmitPropertiesChanged(name, iface) {
        const changed = iface === 'org.freedesktop.systemd1.Unit'
            ? { ActiveState: new GLib.Variant('s', 'active') }
            : {};
        emit(unitPath(name), 'org.freedesktop.DBus.Properties', 'PropertiesChanged',
            new GLib.Variant('(sa{sv}as)', [iface, changed, []]));
    },
    Subscribers() {
        return [...subscribers];
    },
    SetUnitState(name, json, signal) {
        const state = states.get(name);
        if (!state)
            throw dbusError('org.freedesktop.systemd1.NoSuchUnit', `Unit ${name} not loaded.`);
        const change = JSON.parse(json);
        const unitChanges = {};
        if (change.activeState !== undefined)
            unitChanges.ActiveState = new GLib.Variant('s', state.unit.ActiveState = change.activeState);
        if (change.subState !== undefined)
            unitChanges.SubState = new GLib.Variant('s', state.unit.SubState = change.subState);
        if (change.entered) {
            state.unit.ActiveEnterTimestampMonotonic = BigInt(GLib.get_monotonic_time());
            unitChanges.ActiveEnterTimestampMonotonic = new GLib.Variant('t', state.unit.ActiveEnterTimestampMonotonic);
        }
        if (change.nRestarts !== undefined)
            state.service.NRestarts = change.nRestarts;
        if (change.result !== undefined)
            state.service.Result = change.result;
        if (signal) {
            // systemd sends the Unit's changes, and the Service's in a signal of its own.
            emit(unitPath(name), 'org.freedesktop.DBus.Properties', 'PropertiesChanged',
                new GLib.Variant('(sa{sv}as)', ['org.freedesktop.systemd1.Unit', unitChanges, []]));
            emit(unitPath(name), 'org.freedesktop.DBus.Properties', 'PropertiesChanged',
                new GLib.Variant('(sa{sv}as)', ['org.freedesktop.systemd1.Service', {}, ['NRestarts', 'Result']]));
        }
    },
    Quit() {
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            loop.quit();
            return GLib.SOURCE_REMOVE;
        });
    },
});
control.export(bus, '/org/headroom/Test');

// A subscriber that leaves the bus is forgotten, as sd_bus_track does.
bus.signal_subscribe('org.freedesktop.DBus', 'org.freedesktop.DBus', 'NameOwnerChanged', '/org/freedesktop/DBus',
    null, Gio.DBusSignalFlags.NONE, (_c, _s, _p, _i, _m, params) => {
        const [name, , owner] = params.deepUnpack();
        if (owner === '')
            subscribers.delete(name);
    });

const [, json] = GLib.file_get_contents(unitsFile);
setUnits(JSON.parse(new TextDecoder().decode(json)));

for (const name of ['org.headroom.Test.FakeSystemd', 'org.freedesktop.systemd1']) {
    const [reply] = bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
        'RequestName', new GLib.Variant('(su)', [name, 4]), new GLib.VariantType('(u)'),
        Gio.DBusCallFlags.NONE, -1, null).deepUnpack();
    if (reply !== 1)
        throw new Error(`could not own ${name} (${reply})`);
}
print('ready');
loop.run();
