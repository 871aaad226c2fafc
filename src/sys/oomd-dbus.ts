// D-Bus plumbing for src/sys/oomd.ts and src/sys/restart.ts: systemd's names, asynchronous calls that
// end in a Result, reading a file descriptor handed over by a method reply, and typed reads of single
// values out of variants.
//
// Nothing here unpacks a whole a{sv}: a systemd unit's GetAll carries dozens of `t` values set to
// UINT64_MAX ("unset"), and converting each to a JS number makes GJS warn about lost precision.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { fail, ok, type Failure, type Result } from '../core/result.js';

/** systemd's manager (PID 1 on the system bus, the user manager on the session bus) and its objects. */
export const SYSTEMD_NAME = 'org.freedesktop.systemd1';
export const SYSTEMD_PATH = '/org/freedesktop/systemd1';
export const SYSTEMD_MANAGER = 'org.freedesktop.systemd1.Manager';
export const SYSTEMD_UNIT = 'org.freedesktop.systemd1.Unit';
export const PROPERTIES = 'org.freedesktop.DBus.Properties';

/** How long a peer may take to answer; a hung systemd-oomd must not hang the menu. */
export const CALL_TIMEOUT_MS = 5000;

/**
 * Turns a GDBus error into a Failure: `no-service` (no owner for the name), `denied`, `no-unit`
 * (systemd's NoSuchUnit), `unsupported` (unknown method, interface or object), `timeout`, `closed`,
 * `cancelled`, or `dbus` for the rest. The message names `what` and keeps the peer's own words.
 */
export function dbusFailure(what: string, error: unknown): { ok: false; error: Failure } {
    if (!(error instanceof GLib.Error))
        return fail('dbus', `${what}: ${String(error)}`);
    if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
        return fail('cancelled', `${what} was cancelled`);

    // GDBus puts the remote error name in front of the message: "GDBus.Error:<name>: <text>".
    const m = /^GDBus\.Error:([^\s:]+):\s?([\s\S]*)$/.exec(error.message);
    const remote = m ? m[1] as string : null;
    const words = m ? m[2] as string : error.message;
    switch (remote) {
    case 'org.freedesktop.DBus.Error.ServiceUnknown':
    case 'org.freedesktop.DBus.Error.NameHasNoOwner':
        return fail('no-service', `${what}: ${words}`);
    case 'org.freedesktop.DBus.Error.AccessDenied':
    case 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired':
        // dbus-daemon's refusal goes on with every field of the message ("…; type=… sender=…"):
        // its first clause is what a person needs.
        return fail('denied', `${what}: ${words.split(';')[0]?.trim() ?? words}`);
    case 'org.freedesktop.systemd1.NoSuchUnit':
        return fail('no-unit', `${what}: ${words}`);
    case 'org.freedesktop.DBus.Error.UnknownMethod':
    case 'org.freedesktop.DBus.Error.UnknownObject':
    case 'org.freedesktop.DBus.Error.UnknownInterface':
    case 'org.freedesktop.DBus.Error.UnknownProperty':
        return fail('unsupported', `${what}: ${words}`);
    case 'org.freedesktop.DBus.Error.Timeout':
    case 'org.freedesktop.DBus.Error.NoReply':
        return fail('timeout', `${what}: no answer`);
    default:
        break;
    }
    if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT))
        return fail('timeout', `${what}: no answer within ${CALL_TIMEOUT_MS / 1000} s`);
    if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CLOSED))
        return fail('closed', `${what}: the bus connection is closed`);
    return fail('dbus', `${what}: ${words}`);
}

export interface CallSpec {
    bus: Gio.DBusConnection;
    name: string;
    path: string;
    iface: string;
    method: string;
    params?: GLib.Variant | null;
    /** The reply's signature, checked by GDBus; '()' for none. */
    reply: string;
    /** Used in failure messages: "asking systemd for app.slice". */
    what: string;
}

/**
 * One method call, asynchronous and cancellable. Never auto-starts the peer: Headroom observes
 * systemd-oomd and must not start a service the user has stopped.
 */
export function call(spec: CallSpec, cancellable: Gio.Cancellable | null): Promise<Result<GLib.Variant>> {
    return new Promise(resolve => {
        try {
            spec.bus.call(spec.name, spec.path, spec.iface, spec.method, spec.params ?? null,
                new GLib.VariantType(spec.reply), Gio.DBusCallFlags.NO_AUTO_START, CALL_TIMEOUT_MS,
                cancellable, (_conn, res) => {
                    try {
                        resolve(ok(spec.bus.call_finish(res)));
                    } catch (error) {
                        resolve(dbusFailure(spec.what, error));
                    }
                });
        } catch (error) {
            // Only a closed connection or bad arguments fail synchronously.
            resolve(dbusFailure(spec.what, error));
        }
    });
}

/**
 * A method call whose reply carries file descriptors. The descriptors are taken out of the reply's
 * UnixFDList at once, so they are closed when the caller says, not whenever the list is collected:
 * the caller owns every number in `fds` and must close each one (see closeFd, readFdText).
 */
export function callWithFds(spec: CallSpec, cancellable: Gio.Cancellable | null):
    Promise<Result<{ reply: GLib.Variant; fds: number[] }>> {
    return new Promise(resolve => {
        try {
            spec.bus.call_with_unix_fd_list(spec.name, spec.path, spec.iface, spec.method, spec.params ?? null,
                new GLib.VariantType(spec.reply), Gio.DBusCallFlags.NO_AUTO_START, CALL_TIMEOUT_MS, null,
                cancellable, (_conn, res) => {
                    try {
                        const [reply, list] = spec.bus.call_with_unix_fd_list_finish(res);
                        resolve(ok({ reply, fds: list ? list.steal_fds() : [] }));
                    } catch (error) {
                        resolve(dbusFailure(spec.what, error));
                    }
                });
        } catch (error) {
            resolve(dbusFailure(spec.what, error));
        }
    });
}

export function closeFd(fd: number): void {
    try {
        GLib.close(fd);
    } catch {
        // EBADF: already closed. Nothing else can go wrong with close() here.
    }
}

// ---- reading a received file descriptor ------------------------------------------------------------

/** A GUnixInputStream class, whichever namespace this GLib keeps it in. */
type FdStreamClass = new (props: { fd: number; close_fd: boolean }) => Gio.InputStream;

let fdStreamClass: Promise<FdStreamClass | null> | null = null;

/**
 * GLib 2.80 moved the Unix streams to the GioUnix namespace; GJS warns on every use of the old
 * Gio.UnixInputStream there (GNOME 46 and later), and older GLib (2.74 on Debian 12, where the
 * adapter tests run) has no GioUnix. Try the new home first.
 */
function unixInputStreamClass(): Promise<FdStreamClass | null> {
    fdStreamClass ??= (async () => {
        try {
            const specifier = 'gi://GioUnix';
            const module = await import(specifier) as { default?: { InputStream?: FdStreamClass } };
            if (module.default?.InputStream)
                return module.default.InputStream;
        } catch {
            // No GioUnix typelib: GLib before 2.80.
        }
        return (Gio as unknown as { UnixInputStream?: FdStreamClass }).UnixInputStream ?? null;
    })();
    return fdStreamClass;
}

function readChunk(stream: Gio.InputStream, size: number, cancellable: Gio.Cancellable | null):
    Promise<Result<Uint8Array>> {
    return new Promise(resolve => {
        stream.read_bytes_async(size, GLib.PRIORITY_DEFAULT, cancellable, (_s, res) => {
            try {
                const bytes = stream.read_bytes_finish(res);
                resolve(ok(bytes.get_data() ?? new Uint8Array(0)));
            } catch (error) {
                if (error instanceof GLib.Error && error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                    resolve(fail('cancelled', 'reading was cancelled'));
                else
                    resolve(fail('io', error instanceof GLib.Error ? error.message : String(error)));
            }
        });
    });
}

/**
 * Reads everything from a received file descriptor (a memfd, a pipe or a temporary file) as UTF-8
 * text, at most `maxBytes`, with asynchronous reads. The descriptor is closed in every case,
 * including failures and cancellation.
 */
export async function readFdText(fd: number, maxBytes: number, cancellable: Gio.Cancellable | null):
    Promise<Result<string>> {
    const Stream = await unixInputStreamClass();
    if (!Stream) {
        closeFd(fd);
        return fail('unsupported', 'this GLib cannot read a file descriptor');
    }
    let stream: Gio.InputStream;
    try {
        stream = new Stream({ fd, close_fd: true });
    } catch (error) {
        closeFd(fd);
        return fail('io', `cannot read the file descriptor: ${String(error)}`);
    }
    try {
        const chunks: Uint8Array[] = [];
        let total = 0;
        for (;;) {
            const chunk = await readChunk(stream, 64 * 1024, cancellable);
            if (!chunk.ok)
                return chunk;
            if (chunk.value.length === 0)
                break;
            total += chunk.value.length;
            if (total > maxBytes)
                return fail('too-large', `more than ${Math.round(maxBytes / 1024)} KiB`);
            chunks.push(chunk.value);
        }
        const all = new Uint8Array(total);
        let at = 0;
        for (const chunk of chunks) {
            all.set(chunk, at);
            at += chunk.length;
        }
        return ok(new TextDecoder('utf-8').decode(all));
    } finally {
        // close() of a memfd, pipe or temporary file does not block; doing it here, synchronously,
        // means the descriptor is gone by the time the caller sees the result.
        try {
            stream.close(null);
        } catch {
            // Already closed.
        }
    }
}

// ---- values out of variants --------------------------------------------------------------------------

/** A variant's type by its type string: no GLib.VariantType objects made at import time. */
function isOfType(v: GLib.Variant | null | undefined, type: string): v is GLib.Variant {
    return v?.get_type_string() === type;
}

/** The string in `v` (type s or o), or null. */
export function stringOf(v: GLib.Variant | null): string | null {
    if (!isOfType(v, 's') && !isOfType(v, 'o'))
        return null;
    return v.get_string()[0];
}

/** One member of an a{sv} dictionary with the given type, or null (absent or of another type). */
export function lookup(dict: GLib.Variant, key: string, type: 's' | 'u' | 't'): GLib.Variant | null {
    // lookup_value(key, null) returns the value whatever its type; null (typed as Variant) when absent.
    const value = dict.lookup_value(key, null) as GLib.Variant | null;
    return isOfType(value, type) ? value : null;
}

/** A `u` as a number, or null. */
export function uint32Of(v: GLib.Variant | null): number | null {
    return isOfType(v, 'u') ? v.get_uint32() : null;
}

/**
 * A `t` as a bigint, read from its text so that UINT64_MAX ("unset" in systemd) arrives intact and
 * without GJS's precision warning.
 */
export function uint64Of(v: GLib.Variant | null): bigint | null {
    if (!isOfType(v, 't'))
        return null;
    const text = v.print(false);
    return /^\d{1,20}$/.test(text) ? BigInt(text) : null;
}

/** The object path in a `(o)` reply. */
export function objectPathOf(reply: GLib.Variant): string | null {
    return reply.n_children() === 1 ? stringOf(reply.get_child_value(0)) : null;
}

/** The variant inside a `(v)` reply (Properties.Get). */
export function boxedOf(reply: GLib.Variant): GLib.Variant | null {
    if (reply.n_children() !== 1)
        return null;
    const child = reply.get_child_value(0);
    return child.is_of_type(new GLib.VariantType('v')) ? child.get_variant() : null;
}
