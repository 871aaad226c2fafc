// Asynchronous reads of cgroup and proc files. Nothing here blocks the main loop: GIO runs the reads
// on its worker threads and calls back on the main context.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { fail, ok, type Result } from '../core/result.js';

const decoder = new TextDecoder('utf-8');

/** kernfs (cgroupfs, procfs) hands out at most a page per read; a shorter read means the end. */
const PAGE = 4096;
const CHUNK = 65536;

/**
 * Reads a whole (small) file as text; a missing, unreadable or vanished file is a Failure, not a throw.
 * Cheaper on the main loop than load_contents_async for pseudo-files: an open and one read (two for a
 * file over a page), no read just to see the end, and a close nobody waits for.
 */
export function readText(path: string, cancellable: Gio.Cancellable | null): Promise<Result<string>> {
    const file = Gio.File.new_for_path(path);
    return new Promise(resolve => {
        file.read_async(GLib.PRIORITY_DEFAULT, cancellable, (_source, res) => {
            let stream: Gio.FileInputStream;
            try {
                stream = file.read_finish(res);
            } catch (error) {
                resolve(fileFailure(path, error));
                return;
            }
            readAll(stream, [], path, cancellable, resolve);
        });
    });
}

function readAll(stream: Gio.FileInputStream, chunks: Uint8Array[], path: string, cancellable: Gio.Cancellable | null,
    resolve: (r: Result<string>) => void): void {
    stream.read_bytes_async(CHUNK, GLib.PRIORITY_DEFAULT, cancellable, (_s, res) => {
        let data: Uint8Array;
        try {
            data = stream.read_bytes_finish(res).toArray();
        } catch (error) {
            stream.close_async(GLib.PRIORITY_DEFAULT, null, null);
            resolve(fileFailure(path, error));
            return;
        }
        if (data.length > 0)
            chunks.push(data);
        if (data.length >= PAGE) {
            readAll(stream, chunks, path, cancellable, resolve);
            return;
        }
        stream.close_async(GLib.PRIORITY_DEFAULT, null, null);
        resolve(ok(chunks.length === 1 ? decoder.decode(chunks[0]) : decoder.decode(concat(chunks))));
    });
}

function concat(chunks: Uint8Array[]): Uint8Array {
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
        all.set(c, at);
        at += c.length;
    }
    return all;
}

/** The file infos of the children of `path`, with the given attributes (e.g. 'standard::name,unix::uid'). */
export function listChildren(path: string, attributes: string, cancellable: Gio.Cancellable | null):
    Promise<Result<Gio.FileInfo[]>> {
    const dir = Gio.File.new_for_path(path);
    return new Promise(resolve => {
        dir.enumerate_children_async(attributes, Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS,
            GLib.PRIORITY_DEFAULT, cancellable, (_source, res) => {
                let enumerator: Gio.FileEnumerator;
                try {
                    enumerator = dir.enumerate_children_finish(res);
                } catch (error) {
                    resolve(fileFailure(path, error));
                    return;
                }
                collect(enumerator, [], cancellable, path, resolve);
            });
    });
}

function collect(enumerator: Gio.FileEnumerator, infos: Gio.FileInfo[], cancellable: Gio.Cancellable | null,
    path: string, resolve: (r: Result<Gio.FileInfo[]>) => void): void {
    enumerator.next_files_async(100, GLib.PRIORITY_DEFAULT, cancellable, (_source, res) => {
        let batch: Gio.FileInfo[];
        try {
            batch = enumerator.next_files_finish(res);
        } catch (error) {
            enumerator.close_async(GLib.PRIORITY_DEFAULT, null, null);
            resolve(fileFailure(path, error));
            return;
        }
        if (batch.length === 0) {
            enumerator.close_async(GLib.PRIORITY_DEFAULT, null, null);
            resolve(ok(infos));
            return;
        }
        infos.push(...batch);
        collect(enumerator, infos, cancellable, path, resolve);
    });
}

/** Names of the subdirectories of `path`, sorted. */
export async function listDirectories(path: string, cancellable: Gio.Cancellable | null): Promise<Result<string[]>> {
    const children = await listChildren(path, 'standard::name,standard::type', cancellable);
    if (!children.ok)
        return children;
    return ok(children.value.filter(isDirectory).map(info => info.get_name()).sort());
}

export function isDirectory(info: Gio.FileInfo): boolean {
    return info.get_file_type() === Gio.FileType.DIRECTORY;
}

/** Turns a GIO error into a reason a person can read. */
export function fileFailure(path: string, error: unknown): { ok: false; error: { code: string; message: string } } {
    if (error instanceof GLib.Error) {
        if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND))
            return fail('missing', `${path} does not exist`);
        if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED))
            return fail('denied', `no permission to read ${path}`);
        if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
            return fail('cancelled', `reading ${path} was cancelled`);
        // ENODEV and friends: the cgroup was removed between listing and reading.
        return fail('io', `cannot read ${path}: ${error.message}`);
    }
    throw error;
}
