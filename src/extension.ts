// Headroom: wires the samplers and system adapters (src/sys) to the engine (src/core) and the views
// (src/ui). Data flows one way: sample -> engine -> snapshot -> view. Actions flow back through
// callbacks. Everything made here is registered on one Disposer; disable() runs it.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import { Extension } from 'resource:///org/gnome/shell/extensions/extension.js';

import { Disposer } from './core/disposer.js';
import { PressureEngine, type Snapshot } from './core/engine.js';
import { EpisodeTracker, type EpisodeOutput, type EpisodeSettings } from './core/episode.js';
import { PressureHistory } from './core/history.js';
import { sliceName } from './core/format.js';
import { _, fill, setTranslator } from './core/i18n.js';
import { buildInventory, detailPaths, type AppRow, type ContainerRow, type Inventory } from './core/inventory.js';
import { summarizeKills } from './core/journal.js';
import type { OomdPolicy } from './core/oomd.js';
import { ownerUnit, restartable, restartSentence, withRestart } from './core/restart.js';
import { fail, ok, type Result } from './core/result.js';
import { fallbackPolicy, levelSettings, type StoredSettings } from './core/settings.js';
import { pickVictim } from './core/victim.js';
import { nameOfCgroup, serviceRows, victimLabel, victimSentence } from './core/view.js';
import { SystemActions } from './sys/actions.js';
import { lookupApp, requestQuit } from './sys/apps.js';
import { discoverUserSlices, userManagerPath } from './sys/cgroups.js';
import { writeControl } from './sys/control.js';
import { InventoryService, type InventoryScan } from './sys/inventory.js';
import { discoverOomd, OomdWatcher, readOomdHistory, type Discovery } from './sys/oomd.js';
import { RestartWatch } from './sys/restart.js';
import { PressureSampler } from './sys/sampler.js';
import { Indicator } from './ui/indicator.js';
import type { AppItem } from './ui/inventory.js';
import { Notifier, type NotificationAction } from './ui/notifier.js';

/** The journal is read at most this often (on start, and when the menu opens). */
const HISTORY_REFRESH_SEC = 60;

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
        const episodeSettings = (): EpisodeSettings => ({
            enabled: settings.get_boolean('notify-before-kill'),
            leadWindowSec: settings.get_int('lead-window-seconds'),
            confirmSec: 4,
            quietSec: 60,
            warnFraction: settings.get_int('warning-percent-of-limit') / 100,
        });

        const cancellable = new Gio.Cancellable();
        disposer.defer(() => cancellable.cancel());
        const system = new SystemActions(() => settings.get_string('podman-command'), cancellable);
        const uid = new Gio.Credentials().get_unix_user();
        const managerPath = userManagerPath(uid);
        const root = () => settings.get_string('cgroup-root');
        const icon = Gio.FileIcon.new(Gio.File.new_for_path(`${this.path}/icons/headroom-symbolic.svg`));

        // ---- state shared by the views ------------------------------------------------------------
        let snapshot: Snapshot | null = null;
        let lastScan: InventoryScan | null = null;
        let inventory: Inventory | null = null;
        let displayName = (appId: string) => appId;
        let containerNames = new Map<string, string>();
        let victims = new Map<string, string | null>();
        let discovery: Discovery | null = null;
        let oomdProblem: string | null = null;
        let menuOpen = false;
        let lastHistory = 0;
        let inventoryService: InventoryService | null = null;
        const history = new PressureHistory();
        const episodes = new EpisodeTracker(episodeSettings());
        const oomKills = new Map<string, number>();

        const pressing = () => snapshot?.level === 'amber' || snapshot?.level === 'red';
        const updateActivity = () => {
            if (inventoryService)
                inventoryService.active = menuOpen || pressing();
            if (sampler)
                sampler.hot = pressing();
        };

        // ---- actions (the menu and the notifications share them) ----------------------------------
        const actions = {
            closeApp: async (app: AppRow): Promise<Result<null>> => {
                if (requestQuit(app.appId))
                    return ok(null);
                // No running app with windows has this id (a D-Bus service, an unknown id): systemd asks
                // the processes to quit (SIGTERM) and ends them after the unit's stop timeout.
                return system.stopUnits(app.units.map(unitName));
            },
            forceQuitApp: async (app: AppRow): Promise<Result<null>> => {
                const stopped = await system.stopUnits(app.units.map(unitName));
                if (stopped.ok)
                    return stopped;
                return killAll(app.units.map(u => `${root()}${u}`), cancellable, stopped.error.message);
            },
            pauseContainer: (c: ContainerRow, pause: boolean) =>
                system.pauseContainer({ id: c.id, cgroupDir: `${root()}${c.payloadPath}` }, pause),
            stopContainer: (c: ContainerRow) =>
                system.stopContainer({ id: c.id, cgroupDir: `${root()}${c.payloadPath}` }),
        };

        // ---- views --------------------------------------------------------------------------------
        const indicator = new Indicator(`${this.path}/icons/headroom-symbolic.svg`, {
            ...actions,
            openPreferences: () => this.openPreferences(),
            menuOpened: open => {
                menuOpen = open;
                updateActivity();
                if (open) {
                    renderInventory();
                    indicator.plot(history);
                    refreshHistory();
                }
            },
        });
        Main.panel.addToStatusArea(this.uuid, indicator);
        disposer.defer(() => indicator.destroy());
        indicator.showPercentage = settings.get_boolean('show-percentage');

        const notifier = new Notifier(icon);
        disposer.defer(() => notifier.destroy());

        /** Runs an action from a notification; a failure is told in a notification of its own. */
        const fromNotification = (action: () => Promise<Result<null>>) => () => {
            void action().then(r => {
                if (!r.ok)
                    notifier.showMessage(_('Headroom could not free memory'), r.error.message);
            });
        };

        const warningActions = (): NotificationAction[] => {
            const list: NotificationAction[] = [];
            const transcoding = inventory?.containers.find(c => c.transcoding && !c.paused);
            if (transcoding) {
                list.push({ label: fill(_('Pause %s'), transcoding.name),
                    run: fromNotification(() => actions.pauseContainer(transcoding, true)) });
            }
            const app = inventory?.apps[0];
            if (app) {
                list.push({ label: fill(_('Close %s'), displayName(app.appId)),
                    run: fromNotification(() => actions.closeApp(app)) });
            }
            return list;
        };

        /** Shows what the episode logic decided; for a kill, returns how to add later news to its notification. */
        const showEpisode = (out: EpisodeOutput): ((body: string) => void) | null => {
            switch (out.kind) {
            case 'show':
                notifier.showWarning(out.notice.title, out.notice.body, warningActions());
                break;
            case 'update':
                notifier.updateWarning(out.notice.title, out.notice.body);
                break;
            case 'end':
                notifier.withdrawWarning();
                break;
            case 'killed':
                // The warning was about this kill: it gives way to the news, which the tray would
                // otherwise queue behind a critical notification.
                notifier.withdrawWarning();
                if (settings.get_boolean('notify-after-kill'))
                    return notifier.showMessage(out.title, out.body);
                break;
            }
            return null;
        };

        // ---- inventory ----------------------------------------------------------------------------
        const renderInventory = () => {
            if (!lastScan)
                return;
            containerNames = new Map([...lastScan.containers].map(([id, c]) => [id, c.name]));
            const inv = inventory = buildInventory(lastScan.entries, managerPath, {
                topN: settings.get_int('list-count'),
                transcoders: settings.get_strv('transcoder-commands'),
                containerNames,
            });
            const infos = new Map(inv.apps.map(a => [a.appId, lookupApp(a.appId)]));
            const rowNames = new Map(inv.apps.map(a => [a.appId, a.name]));
            displayName = (appId: string) => infos.get(appId)?.name ?? rowNames.get(appId) ?? appId;
            const apps: AppItem[] = inv.apps.map(row => ({
                row, displayName: displayName(row.appId), icon: infos.get(row.appId)?.icon ?? null,
            }));

            // oomd's pick per monitored slice, by its own rule. It needs two scans: the rule ranks by
            // the pgscan increase since the previous look, not by the lifetime count.
            const scan = lastScan;
            victims = new Map();
            const picks = new Map<string, string>();
            if (scan.previousPgscan.size > 0) {
                for (const slice of snapshot?.slices ?? []) {
                    const owner = scan.entries.find(e => e.path === slice.path)?.ownerUid ?? null;
                    const victim = pickVictim(slice.path, scan.entries, scan.previousPgscan, owner);
                    if (victim)
                        picks.set(slice.path, victim.path);
                    victims.set(slice.path, victim ? victimLabel(victim.path, inv, displayName).name : null);
                }
            }
            // The pick matters to the user only while pressure is up.
            const worst = pressing() ? snapshot?.worst?.path ?? null : null;
            const pick = worst ? picks.get(worst) ?? null : null;
            indicator.renderInventory({
                inventory: inv, apps, nextPick: pick, containerNote: scan.podmanProblem,
                scanNote: scan.problems.length > 0 ? scan.problems.join('\n') : null,
                offerStop: settings.get_string('container-second-action') === 'stop',
                services: settings.get_boolean('show-background')
                    ? serviceRows(scan.entries, managerPath, settings.get_int('list-count'))
                    : [],
            }, pick ? victimSentence(victimLabel(pick, inv, displayName)) : null);
        };

        // ---- pressure -----------------------------------------------------------------------------
        const engine = new PressureEngine(levelSettings(stored()));
        const onSnapshot = (s: Snapshot) => {
            snapshot = s;
            indicator.render(s);
            updateActivity();
            if (s.worst?.avg10 !== undefined) {
                history.add({ time: s.time, avg10: s.worst.avg10 }, s.worst.policy.limitPercent,
                    s.worst.policy.limitPercent * episodes.settings.warnFraction);
                indicator.plot(history);
            }
            showEpisode(episodes.tick(s, victims));
        };
        const noticeKernelKills = (path: string, count: number | null | undefined) => {
            if (count === null || count === undefined)
                return;
            const before = oomKills.get(path);
            oomKills.set(path, count);
            if (before !== undefined && count > before && settings.get_boolean('notify-after-kill')) {
                notifier.showMessage(_('Out of memory'),
                    fill(_('The kernel stopped a process in %s: it ran out of memory before systemd-oomd acted'),
                        sliceName(path)));
            }
        };

        let fallback = fallbackPolicy(stored());
        // Read at every sample: kept here, and updated when the setting changes.
        let followOomd = settings.get_boolean('follow-oomd');
        const policyFor = (path: string): OomdPolicy => {
            const found = followOomd
                ? discovery?.monitored.find(m => m.path === path)?.policy
                : undefined;
            return found ?? fallback;
        };

        let sampler: PressureSampler | null = null;
        /** The cgroups oomd watches; without them (oomd absent, or watching nothing) the user's slices. */
        const monitored = () => (settings.get_boolean('follow-oomd') && discovery && discovery.monitored.length > 0
            ? discovery.monitored.map(m => m.path)
            : undefined);
        const startPressure = () => {
            sampler?.stop();
            oomKills.clear();
            sampler = new PressureSampler({
                root: root(),
                uid,
                cgroups: monitored(),
                policyFor,
                onSample: (sample, reason) => {
                    for (const r of sample.readings)
                        noticeKernelKills(r.path, r.oomKills);
                    onSnapshot(engine.update(sample, reason));
                },
                onError: report,
            });
            sampler.start();
        };
        const startInventory = () => {
            inventoryService?.stop();
            lastScan = null;
            inventoryService = new InventoryService({
                root: root(),
                procRoot: settings.get_string('proc-root'),
                managerPath,
                podman: () => settings.get_string('podman-command'),
                // memory.stat: every candidate's while oomd may act (its rule ranks by pgscan), the
                // shown rows' while the menu is open, none while nobody looks.
                statFor: entries => {
                    if (pressing())
                        return 'all';
                    if (!menuOpen)
                        return new Set<string>();
                    return detailPaths(entries, managerPath, {
                        topN: settings.get_int('list-count'), transcoders: [], containerNames: new Map(),
                    });
                },
                rotate: () => menuOpen && !pressing(),
                activeIntervalSec: () => settings.get_int('scan-interval-active-seconds'),
                idleIntervalSec: () => settings.get_int('scan-interval-idle-seconds'),
                onScan: scan => {
                    lastScan = scan;
                    // The inventory is built when someone can see it: the menu, or a warning's actions.
                    if (menuOpen || pressing())
                        renderInventory();
                },
                onError: report,
            });
            inventoryService.start();
            updateActivity();
        };
        const startSamplers = () => {
            startPressure();
            startInventory();
        };
        disposer.defer(() => {
            sampler?.stop();
            inventoryService?.stop();
        });

        // ---- systemd-oomd: its limits, its kills, its history ------------------------------------
        const describeSource = () => {
            if (!settings.get_boolean('follow-oomd'))
                return _('Limits from Headroom’s settings');
            if (!discovery)
                return oomdProblem ?? _('Looking for systemd-oomd…');
            if (discovery.monitored.length === 0)
                return _('systemd-oomd watches no slice for memory pressure; limits from Headroom’s settings');
            return discovery.source === 'oomd-dump'
                ? _('Limits from systemd-oomd')
                : _('Limits from the slices’ systemd settings');
        };
        let discoveries = 0;
        const rediscover = async () => {
            // A newer discovery wins: answers of an older one that arrive late are dropped.
            const generation = ++discoveries;
            const before = JSON.stringify(monitored() ?? null);
            // Policies are looked up per sample; only a change of the watched cgroups restarts sampling.
            const apply = () => {
                indicator.limitsSource = describeSource();
                if (JSON.stringify(monitored() ?? null) !== before)
                    startPressure();
            };
            if (!settings.get_boolean('follow-oomd')) {
                discovery = null;
                apply();
                return;
            }
            const slices = await discoverUserSlices(root(), uid, cancellable);
            const found = await discoverOomd({
                systemBus: Gio.DBus.system,
                userBus: Gio.DBus.session,
                userSlices: slices.ok ? slices.value.map(unitName) : [],
                cancellable,
            });
            if (cancellable.is_cancelled() || generation !== discoveries)
                return;
            discovery = found.ok ? found.value : null;
            oomdProblem = found.ok ? null : found.error.message;
            apply();
        };

        // After a kill: whether systemd restarts the service that held the cgroup, added to the news.
        const restartWatches = new Map<string, RestartWatch>();
        const watchRestart = (cgroup: string, killTime: number, body: string, update: (body: string) => void) => {
            const owner = ownerUnit(cgroup, managerPath);
            if (!owner || !restartable(owner.unit))
                return;
            const key = `${owner.manager}:${owner.unit}`;
            restartWatches.get(key)?.stop(); // killed again: the older notification keeps what it said
            const watch = new RestartWatch({
                bus: owner.manager === 'user' ? Gio.DBus.session : Gio.DBus.system,
                unit: owner.unit,
                killTime,
                disposer,
                onOutcome: (outcome, unit) => {
                    if (restartWatches.get(key) === watch)
                        restartWatches.delete(key);
                    const sentence = restartSentence(outcome, unit);
                    if (sentence !== null)
                        update(withRestart(body, sentence));
                },
                onError: report,
            });
            restartWatches.set(key, watch);
            watch.start();
        };

        const watcher = new OomdWatcher({
            systemBus: Gio.DBus.system,
            userBus: Gio.DBus.session,
            onKilled: cgroup => {
                const name = nameOfCgroup(cgroup, managerPath, containerNames, displayName);
                // The innermost monitored cgroup holding the victim (slices nest: app.slice and its app slices).
                const slice = discovery?.monitored
                    .filter(m => cgroup.startsWith(`${m.path}/`))
                    .sort((a, b) => b.path.length - a.path.length)[0]?.path ?? null;
                const now = GLib.get_monotonic_time() / 1e6;
                // oomd waits 15 s after an action before the next: the countdown must know.
                engine.noteAction(now);
                const out = episodes.noteKill(now, name, slice);
                const update = showEpisode(out);
                if (update && out.kind === 'killed')
                    watchRestart(cgroup, now, out.body, update);
                lastHistory = 0;
                inventoryService?.scanNow();
            },
            onChanged: () => void rediscover(),
            onError: report,
        });
        watcher.start();
        disposer.defer(() => watcher.stop());

        const refreshHistory = () => {
            const now = GLib.get_monotonic_time() / 1e6;
            if (lastHistory !== 0 && now - lastHistory < HISTORY_REFRESH_SEC)
                return;
            lastHistory = now;
            void readOomdHistory(cancellable).then(r => {
                if (cancellable.is_cancelled())
                    return;
                if (!r.ok) {
                    indicator.renderHistory(r.error.message, []);
                    return;
                }
                const nameOf = (cgroup: string) => nameOfCgroup(cgroup, managerPath, containerNames, displayName);
                const summary = summarizeKills(r.value, Date.now(), nameOf);
                indicator.renderHistory(summary.text, summary.byName.flatMap(group =>
                    group.times.map(t => `${group.name} — ${formatTime(t)}`)));
            });
        };

        indicator.limitsSource = describeSource();
        startSamplers();
        void rediscover();
        refreshHistory();

        // ---- settings -----------------------------------------------------------------------------
        const changed = settings.connect('changed', (_settings: Gio.Settings, key: string) => {
            switch (key) {
            case 'show-percentage':
                indicator.showPercentage = settings.get_boolean(key);
                break;
            case 'follow-oomd':
                followOomd = settings.get_boolean(key);
                void rediscover();
                break;
            case 'cgroup-root':
            case 'proc-root':
                startSamplers();
                break;
            case 'pressure-limit-percent':
            case 'pressure-duration-seconds':
                // policyFor hands them to the next sample.
                fallback = fallbackPolicy(stored());
                break;
            case 'list-count':
            case 'transcoder-commands':
            case 'show-background':
            case 'container-second-action':
                renderInventory();
                break;
            case 'podman-command':
                inventoryService?.scanNow();
                break;
            default:
                engine.settings = levelSettings(stored());
                episodes.settings = episodeSettings();
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

/** "Tue 14:03" in the user's time zone. */
function formatTime(ms: number): string {
    return GLib.DateTime.new_from_unix_local(Math.floor(ms / 1000))?.format('%a %H:%M') ?? '';
}

/** The last resort when systemd refuses: SIGKILL everything in the app's cgroups through cgroup.kill. */
async function killAll(dirs: string[], cancellable: Gio.Cancellable, why: string): Promise<Result<null>> {
    for (const dir of dirs) {
        const r = await writeControl(`${dir}/cgroup.kill`, '1', cancellable);
        if (!r.ok)
            return fail(r.error.code, `${why}; ${r.error.message}`);
    }
    return ok(null);
}
