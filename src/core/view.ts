// Joins the pressure snapshot and the inventory into what the menu shows about oomd's next pick.

import { formatBytes, unescapeUnitName } from './format.js';
import { _, fill } from './i18n.js';
import type { Inventory } from './inventory.js';
import type { CgroupEntry } from './cgroup-entry.js';
import { classify } from './classify.js';
import { isBelow } from './victim.js';

export interface VictimLabel {
    name: string;
    memory: number | null;
}

const holds = (unit: string, path: string) => path === unit || isBelow(path, unit);

/** Names the cgroup oomd would stop by the app or container that owns it, else by its unit name. */
export function victimLabel(victim: string, inventory: Inventory, displayName: (appId: string) => string): VictimLabel {
    const container = inventory.containers.find(c => holds(c.unitPath, victim));
    if (container)
        return { name: container.name, memory: container.memory };
    const app = inventory.apps.find(a => a.units.some(u => holds(u, victim)));
    if (app)
        return { name: displayName(app.appId), memory: app.memory };
    const base = victim.split('/').filter(p => p !== '').at(-1) ?? victim;
    return { name: unescapeUnitName(base), memory: null };
}

/** "If systemd-oomd acts, it stops Jellyfin (2.5 GB)". */
export function victimSentence(label: VictimLabel): string {
    const who = label.memory === null ? label.name : `${label.name} (${formatBytes(label.memory)})`;
    return fill(_('If systemd-oomd acts, it stops %s'), who);
}

/**
 * A name for any cgroup oomd or the kernel stopped: the app or container it belongs to when it lies in
 * the user's session, else its unit's name (unescaped, without the unit type).
 */
export function nameOfCgroup(path: string, managerPath: string, containerNames: ReadonlyMap<string, string>,
    displayName: (appId: string) => string): string {
    if (isBelow(path, managerPath)) {
        const c = classify(path.slice(managerPath.length + 1));
        if (c.kind === 'app')
            return displayName(c.appId);
        if (c.kind === 'container') {
            return containerNames.get(c.containerId) ??
                unescapeUnitName(c.unit.replace(/\.service$/, '')).replace(/^libpod-([0-9a-f]{12}).*$/, 'container $1');
        }
    }
    const units = path.split('/').filter(p => p !== '' && !/^libpod-payload-|^container$|^runtime$/.test(p));
    const base = units.at(-1) ?? path;
    return unescapeUnitName(base.replace(/\.(service|scope|slice)$/, ''));
}

export interface ServiceRow {
    /** The unit's name, unescaped, without its type. */
    name: string;
    /** Its cgroup below the root. */
    path: string;
    memory: number | null;
}

/**
 * The units directly in session.slice and background.slice, largest first: shown for information
 * (GNOME Shell itself, portals, indexers); never offered for closing.
 */
export function serviceRows(entries: readonly CgroupEntry[], managerPath: string, topN: number): ServiceRow[] {
    const parents = new Set([`${managerPath}/session.slice`, `${managerPath}/background.slice`]);
    return entries
        .filter(e => parents.has(e.path.slice(0, e.path.lastIndexOf('/'))))
        .map(e => ({
            name: unescapeUnitName((e.path.split('/').at(-1) ?? '').replace(/\.(service|scope|slice)$/, '')),
            path: e.path,
            memory: e.memoryCurrent,
        }))
        .sort((a, b) => (b.memory ?? -1) - (a.memory ?? -1) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .slice(0, Math.max(0, topN));
}
