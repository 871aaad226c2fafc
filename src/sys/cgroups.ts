// Finding the cgroups to watch: the slices directly under the user's systemd manager
// (user.slice/user-UID.slice/user@UID.service/*.slice), which Fedora's systemd-oomd monitors.

import type Gio from 'gi://Gio';

import { fail, ok, type Result } from '../core/result.js';
import { listDirectories, readText } from './files.js';

export function userManagerPath(uid: number): string {
    return `/user.slice/user-${uid}.slice/user@${uid}.service`;
}

/**
 * Lists the slices under the user's manager, as paths below `root`. When there are none, the failure
 * says why in words: no cgroup v2, no user manager, or nothing readable.
 */
export async function discoverUserSlices(root: string, uid: number, cancellable: Gio.Cancellable | null):
    Promise<Result<string[]>> {
    const manager = userManagerPath(uid);
    const listing = await listDirectories(`${root}${manager}`, cancellable);
    if (!listing.ok) {
        if (listing.error.code === 'cancelled')
            return listing;
        const v2 = await readText(`${root}/cgroup.controllers`, cancellable);
        if (!v2.ok && v2.error.code === 'missing')
            return fail('no-cgroup2', `no cgroup v2 hierarchy at ${root} (is the system using cgroup v1?)`);
        if (listing.error.code === 'missing')
            return fail('no-user-manager', `no systemd user manager for uid ${uid} under ${root}`);
        return listing;
    }
    const slices = listing.value.filter(name => name.endsWith('.slice')).map(name => `${manager}/${name}`);
    if (slices.length === 0)
        return fail('no-slices', `no slices under ${root}${manager}`);
    return ok(slices);
}
