// File monitors whose lifetime belongs to a Disposer. On cgroupfs only cgroup.events, memory.events
// and directories (children created or removed) report changes; PSI files never do.

import Gio from 'gi://Gio';

import type { Disposer } from '../core/disposer.js';

export function watch(owner: Disposer, path: string, what: 'file' | 'directory', cancellable: Gio.Cancellable | null,
    handler: (event: Gio.FileMonitorEvent) => void): void {
    const file = Gio.File.new_for_path(path);
    let monitor: Gio.FileMonitor;
    try {
        monitor = what === 'directory'
            ? file.monitor_directory(Gio.FileMonitorFlags.NONE, cancellable)
            : file.monitor_file(Gio.FileMonitorFlags.NONE, cancellable);
    } catch {
        // No inotify watch possible (out of watches, unsupported file system): the periodic poll still
        // notices the change, only later.
        return;
    }
    const id = monitor.connect('changed', (_m: Gio.FileMonitor, _f: Gio.File, _o: Gio.File | null,
        event: Gio.FileMonitorEvent) => handler(event));
    owner.defer(() => {
        monitor.disconnect(id);
        monitor.cancel();
    });
}
