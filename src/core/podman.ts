// Podman's own view of containers: `podman ps --all --format json` (the same fields as the libpod
// REST API's container list). Only what Headroom uses is kept: id, name, state, the systemd unit.

import { fail, ok, type Result } from './result.js';

export interface PodmanContainer {
    /** 64 hex digits. */
    id: string;
    name: string;
    /** running, paused, exited, … */
    state: string;
    /** PODMAN_SYSTEMD_UNIT label: the quadlet's unit, e.g. jellyfin.service. */
    unit: string | null;
}

const ID = /^[0-9a-f]{64}$/;

export function parsePodmanPs(text: string): Result<PodmanContainer[]> {
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch {
        return fail('malformed', 'podman printed something that is not JSON');
    }
    if (data === null)
        return ok([]); // podman 4 prints "null" when there are no containers
    if (!Array.isArray(data))
        return fail('malformed', 'podman printed JSON that is not a list');

    const containers: PodmanContainer[] = [];
    for (const item of data as unknown[]) {
        if (typeof item !== 'object' || item === null)
            continue;
        const c = item as Record<string, unknown>;
        const id = typeof c.Id === 'string' ? c.Id : null;
        if (!id || !ID.test(id))
            continue;
        const names = Array.isArray(c.Names) ? c.Names.filter((n): n is string => typeof n === 'string') : [];
        const labels = typeof c.Labels === 'object' && c.Labels !== null ? c.Labels as Record<string, unknown> : {};
        const unit = labels.PODMAN_SYSTEMD_UNIT;
        containers.push({
            id,
            name: names[0] ?? id.slice(0, 12),
            state: typeof c.State === 'string' ? c.State : 'unknown',
            unit: typeof unit === 'string' ? unit : null,
        });
    }
    return ok(containers);
}

/** The argv for each podman action; names and ids are single argv elements, never shell text. */
export const podmanArgv = {
    list: (podman: string) => [podman, 'ps', '--all', '--format', 'json'],
    pause: (podman: string, id: string) => [podman, 'pause', id],
    unpause: (podman: string, id: string) => [podman, 'unpause', id],
    stop: (podman: string, id: string) => [podman, 'stop', id],
};
