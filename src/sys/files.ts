// Asynchronous reads of cgroup and proc files. Nothing here blocks the main loop: GIO runs the reads
// on its worker threads and calls back on the main context.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { fail, ok, type Result } from '../core/result.js';

const decoder = new TextDecoder('utf-8');

/** kernfs (cgroupfs, procfs) hands out at most a page per read; a shorter read means the end. */
const PAGE = 4096;

/**
 * Reads a whole (small) file as text; a missing, unreadable or vanished file is a Failure, not a throw.
 * Cheaper on the main loop than load_contents_async for pseudo-files: an open and one read (two for a
 * file over a page), no read just to see the end. The close is synchronous: close(2) of a file that is
 * not being written never waits for a disk, and it saves the main loop a third completion per file.
 */
export function readText(path: string, cancellable: Gio.Cancellable | null): Promise<Result<string>> {
    return new Promise(resolve => readTextThen(path, cancellable, resolve));
}

/**
 * readText with a callback instead of a promise, for the reads repeated every second: a promise per
 * read is one more job for the main loop to run, and garbage for its collector.
 */
export function readTextThen(path: string, cancellable: Gio.Cancellable | null, done: (text: Result<string>) => void): void {
    openThen(path, cancellable, opened => {
        if (!opened.ok) {
            done(opened);
            return;
        }
        readPages(opened.value, [], path, cancellable, text => {
            closeStream(opened.value);
            done(text);
        });
    });
}

function openThen(path: string, cancellable: Gio.Cancellable | null, done: (stream: Result<Gio.FileInputStream>) => void): void {
    const file = Gio.File.new_for_path(path);
    file.read_async(GLib.PRIORITY_DEFAULT, cancellable, (_source, res) => {
        let stream: Gio.FileInputStream;
        try {
            stream = file.read_finish(res);
        } catch (error) {
            done(fileFailure(path, error));
            return;
        }
        done(ok(stream));
    });
}

function closeStream(stream: Gio.InputStream): void {
    try {
        stream.close(null);
    } catch {
        // Nothing was written, so nothing can be lost; the descriptor is released either way.
    }
}

/** Reads from the stream's position to the end, a page at a time. */
function readPages(stream: Gio.InputStream, chunks: Uint8Array[], path: string, cancellable: Gio.Cancellable | null,
    done: (r: Result<string>) => void): void {
    stream.read_bytes_async(PAGE, GLib.PRIORITY_DEFAULT, cancellable, (_s, res) => {
        let data: Uint8Array;
        try {
            data = stream.read_bytes_finish(res).toArray();
        } catch (error) {
            done(fileFailure(path, error));
            return;
        }
        if (data.length > 0)
            chunks.push(data);
        if (data.length >= PAGE) {
            readPages(stream, chunks, path, cancellable, done);
            return;
        }
        done(ok(chunks.length === 1 ? decoder.decode(chunks[0]) : decoder.decode(concat(chunks))));
    });
}

/**
 * A cgroupfs file read again and again (a slice's memory.pressure every second): kept open and read
 * from offset 0 each time, which the kernel answers with fresh contents, so a sample costs the main
 * loop one completion per file instead of an open and a read. A failed read (the cgroup was removed:
 * ENODEV) closes it and opens the path once more, in case a new cgroup of that name took its place.
 *
 * Only for kernfs: a regular file replaced by a rename (a fixture tree) would keep showing its old
 * contents — the sampler keeps files open only when the root is a cgroup2 file system.
 */
export class PseudoFile {
    private _stream: Gio.FileInputStream | null = null;
    private _busy = false;
    /** A read on _stream is out: GIO refuses to close a stream then (G_IO_ERROR_PENDING). */
    private _streamReading = false;
    /** Counts close() calls, so that an open or a read that finishes after one does not keep its stream. */
    private _generation = 0;

    constructor(readonly path: string) {}

    read(cancellable: Gio.Cancellable | null): Promise<Result<string>> {
        return new Promise(resolve => this.readThen(cancellable, resolve));
    }

    /** read() with a callback (see readTextThen). */
    readThen(cancellable: Gio.Cancellable | null, done: (text: Result<string>) => void): void {
        // Reads of one file are not expected to overlap (the sampler is serial); if they do, the second
        // one does not disturb the first one's stream.
        if (this._busy) {
            readTextThen(this.path, cancellable, done);
            return;
        }
        this._busy = true;
        const finish = (text: Result<string>) => {
            this._busy = false;
            done(text);
        };
        const stream = this._stream;
        if (stream === null) {
            this._open(cancellable, finish);
            return;
        }
        try {
            // lseek(2): moves the offset, reads nothing.
            stream.seek(0, GLib.SeekType.SET, null);
        } catch {
            this.close();
            this._open(cancellable, finish);
            return;
        }
        const generation = this._generation;
        this._streamReading = true;
        readPages(stream, [], this.path, cancellable, text => {
            this._streamReading = false;
            if (generation !== this._generation) {
                // Closed while this read was out (the sampler stopped, the menu closed): close() had to
                // leave the stream to this callback.
                closeStream(stream);
                finish(text);
                return;
            }
            if (text.ok || text.error.code === 'cancelled') {
                finish(text);
                return;
            }
            this.close();
            this._open(cancellable, finish);
        });
    }

    /** Opens the path (again) and reads it from the start. */
    private _open(cancellable: Gio.Cancellable | null, done: (text: Result<string>) => void): void {
        const generation = this._generation;
        openThen(this.path, cancellable, opened => {
            if (!opened.ok) {
                done(opened);
                return;
            }
            readPages(opened.value, [], this.path, cancellable, text => {
                // Kept only if it read, and if nobody closed this file meanwhile (a slice no longer watched).
                if (text.ok && generation === this._generation)
                    this._stream = opened.value;
                else
                    closeStream(opened.value);
                done(text);
            });
        });
    }

    /** Closes the kept stream now, or, while a read on it is out, as soon as that read calls back. */
    close(): void {
        if (this._stream !== null && !this._streamReading)
            closeStream(this._stream);
        this._stream = null;
        this._generation++;
    }
}

/**
 * The PseudoFiles a caller reads again and again (the sampler's slices, a scan's shown rows), by path, at
 * most `max` of them open: each read names its path (get); sweep() closes those not read since the last
 * sweep, closeUnless() those the caller no longer wants.
 */
export class KeptFiles {
    private readonly _files = new Map<string, PseudoFile>();
    private _read = new Set<string>();

    constructor(private readonly _max: number) {}

    /** The kept file for `path`, opened now if there is room; null when the limit is reached. */
    get(path: string): PseudoFile | null {
        this._read.add(path);
        let file = this._files.get(path) ?? null;
        if (file === null && this._files.size < this._max) {
            file = new PseudoFile(path);
            this._files.set(path, file);
        }
        return file;
    }

    /** Closes the files whose path `keep` does not accept. */
    closeUnless(keep: (path: string) => boolean): void {
        for (const [path, file] of this._files) {
            if (!keep(path)) {
                file.close();
                this._files.delete(path);
            }
        }
    }

    /** Closes the files not read since the last sweep. */
    sweep(): void {
        const read = this._read;
        this.closeUnless(path => read.has(path));
        this._read = new Set();
    }

    get size(): number {
        return this._files.size;
    }

    closeAll(): void {
        for (const file of this._files.values())
            file.close();
        this._files.clear();
        this._read = new Set();
    }
}

/** The file system type GIO reports for a path ('cgroup2', 'tmpfs', …), or null when it cannot tell. */
export function filesystemType(path: string, cancellable: Gio.Cancellable | null): Promise<string | null> {
    const file = Gio.File.new_for_path(path);
    return new Promise(resolve => {
        file.query_filesystem_info_async('filesystem::type', GLib.PRIORITY_DEFAULT, cancellable, (_source, res) => {
            try {
                resolve(file.query_filesystem_info_finish(res).get_attribute_string('filesystem::type'));
            } catch {
                resolve(null);
            }
        });
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

/** A read not started because an earlier read of the same file has not answered yet. */
export function stillReading(path: string): { ok: false; error: { code: string; message: string } } {
    return fail('timeout', `still waiting for an earlier read of ${path}`);
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
