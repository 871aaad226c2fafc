// Writes to cgroup control files (cgroup.freeze, cgroup.kill).

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { ok, type Result } from '../core/result.js';
import { fileFailure } from './files.js';

/** Writes a value to a cgroup control file (cgroup.freeze, cgroup.kill): one plain write, no temp file. */
export function writeControl(path: string, value: string, cancellable: Gio.Cancellable | null): Promise<Result<null>> {
    const file = Gio.File.new_for_path(path);
    return new Promise(resolve => {
        file.append_to_async(Gio.FileCreateFlags.NONE, GLib.PRIORITY_DEFAULT, cancellable, (_f, res) => {
            let stream: Gio.FileOutputStream;
            try {
                stream = file.append_to_finish(res);
            } catch (error) {
                resolve(fileFailure(path, error));
                return;
            }
            stream.write_bytes_async(new GLib.Bytes(new TextEncoder().encode(value)), GLib.PRIORITY_DEFAULT,
                cancellable, (_s, wres) => {
                    let failure: Result<null> | null = null;
                    try {
                        stream.write_bytes_finish(wres);
                    } catch (error) {
                        failure = fileFailure(path, error);
                    }
                    stream.close_async(GLib.PRIORITY_DEFAULT, null, null);
                    resolve(failure ?? ok(null));
                });
        });
    });
}
