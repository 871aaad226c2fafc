// Headroom: wires the samplers (src/sys) to the engine (src/core) and the indicator (src/ui).
// Data flows one way: sample -> engine -> snapshot -> view. Actions flow back through callbacks.

import Gio from 'gi://Gio';

import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import { Extension } from 'resource:///org/gnome/shell/extensions/extension.js';

import { Disposer } from './core/disposer.js';
import { PressureEngine, type Snapshot } from './core/engine.js';
import { setTranslator } from './core/i18n.js';
import { buildInventory, type AppRow, type ContainerRow } from './core/inventory.js';
import { fail, ok, type Result } from './core/result.js';
import { fallbackPolicy, levelSettings, type StoredSettings } from './core/settings.js';
import { pickVictim } from './core/victim.js';
import { victimLabel, victimSentence } from './core/view.js';
import { SystemActions } from './sys/actions.js';
import { writeControl } from './sys/control.js';
import { lookupApp, requestQuit } from './sys/apps.js';
import { userManagerPath } from './sys/cgroups.js';
import { InventoryService, type InventoryScan } from './sys/inventory.js';
import { PressureSampler } from './sys/sampler.js';
import { Indicator } from './ui/indicator.js';
import type { AppItem } from './ui/inventory.js';

export default class HeadroomExtension extends Extension {
    private _disposer: Disposer | null = null;

    override enable(): void {
        const report = (error: unknown) => console.error(`Headroom: ${String(error)}`);
        const disposer = this._disposer = new Disposer(report);

        setTranslator({
            gettext: msgid => this.gettext(msgid),
            ngettext: (msgid, plural, n) => this.ngettext(msgid, plural, n),
        });
        disposer.defer(() => setTranslator(null));

        const settings = this.getSettings();
        const stored = (): StoredSettings => ({
            pressureLimitPercent: settings.get_int('pressure-limit-percent'),
            pressureDurationSeconds: settings.get_int('pressure-duration-seconds'),
            warningPercentOfLimit: settings.get_int('warning-percent-of-limit'),
            leadWindowSeconds: settings.get_int('lead-window-seconds'),
            amberExitMarginPercent: settings.get_int('amber-exit-margin-percent'),
            amberExitHoldSeconds: settings.get_int('amber-exit-hold-seconds'),
        });

        const cancellable = new Gio.Cancellable();
        disposer.defer(() => cancellable.cancel());
        const system = new SystemActions(() => settings.get_string('podman-command'), cancellable);
        const uid = new Gio.Credentials().get_unix_user();
        const managerPath = userManagerPath(uid);
        const root = () => settings.get_string('cgroup-root');

        let snapshot: Snapshot | null = null;
        let lastScan: InventoryScan | null = null;
        let menuOpen = false;
        let inventory: InventoryService | null = null;
        const updateActivity = () => {
            if (inventory)
                inventory.active = menuOpen || snapshot?.level === 'amber' || snapshot?.level === 'red';
        };

        const indicator = new Indicator(`${this.path}/icons/headroom-symbolic.svg`, {
            openPreferences: () => this.openPreferences(),
            menuOpened: open => {
                menuOpen = open;
                updateActivity();
            },
            closeApp: async (app: AppRow) => {
                if (requestQuit(app.appId))
                    return ok(null);
                // No running app with windows has this id (a D-Bus service, an unknown id): systemd asks
                // the processes to quit (SIGTERM) and ends them after the unit's stop timeout.
                return system.stopUnits(app.units.map(unitName));
            },
            forceQuitApp: async (app: AppRow) => {
                const stopped = await system.stopUnits(app.units.map(unitName));
                if (stopped.ok)
                    return stopped;
                return killAll(app.units.map(u => `${root()}${u}`), cancellable, stopped);
            },
            pauseContainer: (c: ContainerRow, pause: boolean) =>
                system.pauseContainer({ id: c.id, cgroupDir: `${root()}${c.payloadPath}` }, pause),
            stopContainer: (c: ContainerRow) =>
                system.stopContainer({ id: c.id, cgroupDir: `${root()}${c.payloadPath}` }),
        });
        Main.panel.addToStatusArea(this.uuid, indicator);
        disposer.defer(() => indicator.destroy());
        indicator.showPercentage = settings.get_boolean('show-percentage');

        const renderInventory = () => {
            if (!lastScan)
                return;
            const names = new Map([...lastScan.containers].map(([id, c]) => [id, c.name]));
            const inv = buildInventory(lastScan.entries, managerPath, {
                topN: settings.get_int('list-count'),
                transcoders: settings.get_strv('transcoder-commands'),
                containerNames: names,
            });
            const infos = new Map(inv.apps.map(a => [a.appId, lookupApp(a.appId)]));
            const rowNames = new Map(inv.apps.map(a => [a.appId, a.name]));
            const displayName = (appId: string) => infos.get(appId)?.name ?? rowNames.get(appId) ?? appId;
            const apps: AppItem[] = inv.apps.map(row => ({
                row, displayName: displayName(row.appId), icon: infos.get(row.appId)?.icon ?? null,
            }));

            // oomd's next pick matters only while pressure is up, and needs two scans: its rule ranks by
            // the pgscan increase since the previous look, not by the lifetime count.
            const pressing = snapshot?.level === 'amber' || snapshot?.level === 'red';
            const slice = pressing ? snapshot?.worst?.path ?? null : null;
            const owner = lastScan.entries.find(e => e.path === slice)?.ownerUid ?? null;
            const victim = slice && lastScan.previousPgscan.size > 0
                ? pickVictim(slice, lastScan.entries, lastScan.previousPgscan, owner)
                : null;
            const sentence = victim ? victimSentence(victimLabel(victim.path, inv, displayName)) : null;
            indicator.renderInventory({
                inventory: inv, apps, nextPick: victim?.path ?? null, containerNote: lastScan.podmanProblem,
            }, sentence);
        };

        const engine = new PressureEngine(levelSettings(stored()));
        let sampler: PressureSampler | null = null;
        const startSamplers = () => {
            sampler?.stop();
            inventory?.stop();
            lastScan = null;
            const policy = fallbackPolicy(stored());
            sampler = new PressureSampler({
                root: root(),
                uid,
                policyFor: () => policy,
                onSample: (sample, reason) => {
                    snapshot = engine.update(sample, reason);
                    indicator.render(snapshot);
                    updateActivity();
                },
                onError: report,
            });
            inventory = new InventoryService({
                root: root(),
                procRoot: settings.get_string('proc-root'),
                managerPath,
                podman: () => settings.get_string('podman-command'),
                activeIntervalSec: () => settings.get_int('scan-interval-active-seconds'),
                idleIntervalSec: () => settings.get_int('scan-interval-idle-seconds'),
                onScan: scan => {
                    lastScan = scan;
                    renderInventory();
                },
                onError: report,
            });
            sampler.start();
            inventory.start();
            updateActivity();
        };
        startSamplers();
        disposer.defer(() => {
            sampler?.stop();
            inventory?.stop();
        });

        const changed = settings.connect('changed', (_settings: Gio.Settings, key: string) => {
            switch (key) {
            case 'show-percentage':
                indicator.showPercentage = settings.get_boolean(key);
                break;
            case 'cgroup-root':
            case 'proc-root':
            case 'pressure-limit-percent':
            case 'pressure-duration-seconds':
                startSamplers();
                break;
            case 'list-count':
            case 'transcoder-commands':
                renderInventory();
                break;
            case 'podman-command':
                inventory?.scanNow();
                break;
            default:
                engine.settings = levelSettings(stored());
            }
        });
        disposer.defer(() => settings.disconnect(changed));
    }

    override disable(): void {
        this._disposer?.dispose();
        this._disposer = null;
    }
}

/** The unit's name from its cgroup path: the last component. */
function unitName(path: string): string {
    return path.slice(path.lastIndexOf('/') + 1);
}

/** The last resort when systemd refuses: SIGKILL everything in the app's cgroups through cgroup.kill. */
async function killAll(dirs: string[], cancellable: Gio.Cancellable, why: Result<null>): Promise<Result<null>> {
    for (const dir of dirs) {
        const r = await writeControl(`${dir}/cgroup.kill`, '1', cancellable);
        if (!r.ok)
            return why.ok ? r : fail(r.error.code, `${why.error.message}; ${r.error.message}`);
    }
    return ok(null);
}
