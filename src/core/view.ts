// Joins the pressure snapshot and the inventory into what the menu shows about oomd's next pick.

import { formatBytes, unescapeUnitName } from './format.js';
import { _ } from './i18n.js';
import type { Inventory } from './inventory.js';
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
    return _('If systemd-oomd acts, it stops %s').replace('%s', who);
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
