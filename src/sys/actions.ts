// What the menu's buttons do to the system. Each returns a Result whose failure carries the system's
// or the program's own words, for the menu to show; nothing here throws into the shell.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { podmanArgv } from '../core/podman.js';
import { fail, ok, type Result } from '../core/result.js';
import { writeControl } from './control.js';
import { run } from './subprocess.js';

const PODMAN_TIMEOUT_MS = 30000;

export interface ContainerActionTarget {
    id: string;
    /** The container's payload cgroup (absolute path), for the freezer fallback. */
    cgroupDir: string;
}

export class SystemActions {
    constructor(
        private readonly _podman: () => string,
        private readonly _cancellable: Gio.Cancellable,
    ) {}

    /** Pauses a container with podman; where podman is not installed, freezes its cgroup directly. */
    async pauseContainer(c: ContainerActionTarget, pause: boolean): Promise<Result<null>> {
        const podman = this._podman();
        const argv = pause ? podmanArgv.pause(podman, c.id) : podmanArgv.unpause(podman, c.id);
        const r = await run(argv, PODMAN_TIMEOUT_MS, this._cancellable);
        if (r.ok)
            return ok(null);
        if (r.error.code === 'not-found')
            return writeControl(`${c.cgroupDir}/cgroup.freeze`, pause ? '1' : '0', this._cancellable);
        return r;
    }

    async stopContainer(c: ContainerActionTarget): Promise<Result<null>> {
        const r = await run(podmanArgv.stop(this._podman(), c.id), PODMAN_TIMEOUT_MS, this._cancellable);
        if (r.ok)
            return ok(null);
        if (r.error.code === 'not-found')
            return writeControl(`${c.cgroupDir}/cgroup.kill`, '1', this._cancellable);
        return r;
    }

    /** Stops an app's units through the user's systemd manager: systemd sends SIGTERM, then SIGKILL. */
    async stopUnits(units: string[]): Promise<Result<null>> {
        for (const unit of units) {
            const r = await stopUnit(unit, this._cancellable);
            if (!r.ok)
                return r;
        }
        return ok(null);
    }
}

function stopUnit(unit: string, cancellable: Gio.Cancellable | null): Promise<Result<null>> {
    return new Promise(resolve => {
        Gio.DBus.session.call('org.freedesktop.systemd1', '/org/freedesktop/systemd1',
            'org.freedesktop.systemd1.Manager', 'StopUnit', new GLib.Variant('(ss)', [unit, 'replace']),
            null, Gio.DBusCallFlags.NONE, 10000, cancellable, (conn, res) => {
                try {
                    conn?.call_finish(res);
                    resolve(ok(null));
                } catch (error) {
                    if (error instanceof GLib.Error) {
                        Gio.DBusError.strip_remote_error(error);
                        resolve(fail('dbus', `systemd could not stop ${unit}: ${error.message}`));
                    } else {
                        throw error;
                    }
                }
            });
    });
}
