// What systemd-oomd watches, asked from systemd-oomd itself: org.freedesktop.oom1.Manager's
// DumpByFileDescriptor, the call behind `oomctl dump`, which any user may make. The answer is a file
// descriptor (a pipe or a memfd) holding the dump text. Everything here is asynchronous.

import Gio from 'gi://Gio';
import GioUnix from 'gi://GioUnix';
import GLib from 'gi://GLib';

import { parseOomdDump, type OomdDump } from '../core/oomd-dump.js';

export type OomdReading =
    | { kind: 'dump'; dump: OomdDump }
    | { kind: 'not-running' }
    | { kind: 'error'; message: string };

/** A dump lists a few slices; far more than this is not a dump worth reading (the parser marks the cut). */
const MAX_DUMP_BYTES = 1 << 20;
const CALL_TIMEOUT_MS = 5000;

/** Reads and parses systemd-oomd's dump. Never throws. */
export async function readOomdDump(cancellable: Gio.Cancellable): Promise<OomdReading> {
    let text: string;
    try {
        const bus = await systemBus(cancellable);
        const fd = await dumpFd(bus, cancellable);
        text = await readAll(fd, cancellable);
    } catch (error) {
        if (error instanceof NotRunning)
            return { kind: 'not-running' };
        return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
    }
    const parsed = parseOomdDump(text);
    return parsed.ok ? { kind: 'dump', dump: parsed.value } : { kind: 'error', message: parsed.error.message };
}

class NotRunning extends Error {}

function asError(error: unknown): Error {
    if (error instanceof GLib.Error) {
        // NO_AUTO_START: an unowned name is refused at once instead of starting systemd-oomd.
        const name = Gio.dbus_error_get_remote_error(error);
        if (name === 'org.freedesktop.DBus.Error.ServiceUnknown' || name === 'org.freedesktop.DBus.Error.NameHasNoOwner')
            return new NotRunning(error.message);
        return new Error(error.message);
    }
    return error instanceof Error ? error : new Error(String(error));
}

function systemBus(cancellable: Gio.Cancellable): Promise<Gio.DBusConnection> {
    return new Promise((resolve, reject) => {
        Gio.bus_get(Gio.BusType.SYSTEM, cancellable, (_source, res) => {
            try {
                resolve(Gio.bus_get_finish(res));
            } catch (error) {
                reject(asError(error));
            }
        });
    });
}

function dumpFd(bus: Gio.DBusConnection, cancellable: Gio.Cancellable): Promise<number> {
    return new Promise((resolve, reject) => {
        bus.call_with_unix_fd_list('org.freedesktop.oom1', '/org/freedesktop/oom1', 'org.freedesktop.oom1.Manager',
            'DumpByFileDescriptor', null, new GLib.VariantType('(h)'), Gio.DBusCallFlags.NO_AUTO_START,
            CALL_TIMEOUT_MS, null, cancellable, (_source, res) => {
                try {
                    const [reply, fdList] = bus.call_with_unix_fd_list_finish(res);
                    const [index] = reply.deepUnpack() as [number];
                    if (!fdList)
                        throw new Error('systemd-oomd answered without a file descriptor');
                    resolve(fdList.get(index));
                } catch (error) {
                    reject(asError(error));
                }
            });
    });
}

async function readAll(fd: number, cancellable: Gio.Cancellable): Promise<string> {
    const stream = new GioUnix.InputStream({ fd, close_fd: true });
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
        while (size < MAX_DUMP_BYTES) {
            const chunk = await readChunk(stream, cancellable);
            if (chunk.length === 0)
                break;
            chunks.push(chunk);
            size += chunk.length;
        }
    } finally {
        stream.close_async(GLib.PRIORITY_DEFAULT, null, null);
    }
    const all = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
        all.set(chunk, offset);
        offset += chunk.length;
    }
    return new TextDecoder('utf-8').decode(all);
}

function readChunk(stream: Gio.InputStream, cancellable: Gio.Cancellable): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
        stream.read_bytes_async(64 * 1024, GLib.PRIORITY_DEFAULT, cancellable, (_source, res) => {
            try {
                resolve(stream.read_bytes_finish(res).toArray());
            } catch (error) {
                reject(asError(error));
            }
        });
    });
}
