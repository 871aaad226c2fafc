// Headroom's preferences window (Adw). Runs in its own process: no shell modules here, and nothing from
// src/ui or src/sys. Every row is bound to a settings key; the extension follows the keys as they change.

import Adw from 'gi://Adw';
import type Gio from 'gi://Gio';

import {
    ExtensionPreferences, gettext as _, ngettext,
} from 'resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js';

import { setTranslator } from './core/i18n.js';
import { OomdDiscoveryGroup } from './prefs/discovery.js';
import {
    comboRow, entryRow, NAME_LIST, PATH, SettingsWatch, spinRow, switchRow, TEXT,
} from './prefs/rows.js';

export default class HeadroomPreferences extends ExtensionPreferences {
    override fillPreferencesWindow(window: Adw.PreferencesWindow): Promise<void> {
        // Slice names and other words from src/core, in the user's language.
        setTranslator({ gettext: _, ngettext });

        const watch = new SettingsWatch(this.getSettings());
        const discovery = new OomdDiscoveryGroup(watch);
        window.connect('close-request', () => {
            discovery.stop();
            watch.disconnectAll();
            return false;
        });

        window.add(generalPage(watch));
        window.add(thresholdsPage(watch, discovery));
        window.add(notificationsPage(watch.settings));
        window.add(listsPage(watch.settings));
        window.add(containersPage(watch));
        window.add(advancedPage(watch));
        discovery.read();

        // GNOME 46 ignores the returned value; 47 and later await it.
        return Promise.resolve();
    }
}

function page(title: string, iconName: string, groups: Adw.PreferencesGroup[]): Adw.PreferencesPage {
    const result = new Adw.PreferencesPage({ title, icon_name: iconName });
    for (const group of groups)
        result.add(group);
    return result;
}

function group(title: string, description: string, rows: Adw.PreferencesRow[]): Adw.PreferencesGroup {
    const result = new Adw.PreferencesGroup({ title, description });
    for (const row of rows)
        result.add(row);
    return result;
}

function generalPage(watch: SettingsWatch): Adw.PreferencesPage {
    const settings = watch.settings;
    return page(_('General'), 'preferences-system-symbolic', [
        group(_('Top Bar'), '', [
            comboRow(watch, 'show-percentage', _('Indicator'),
                _('The percentage is the memory pressure of the most urgent slice'),
                [
                    { value: false, label: _('Icon Only') },
                    { value: true, label: _('Icon and Percentage') },
                ],
                () => settings.get_boolean('show-percentage'),
                value => settings.set_boolean('show-percentage', value)),
        ]),
        group(_('Updates'),
            _('Memory pressure is read every second. The list of apps and containers is refreshed less often; ' +
                'apps and containers that start or stop show at once.'),
            [
                spinRow(settings, 'scan-interval-active-seconds', _('List Refresh While Watched'),
                    _('Seconds, while the menu is open or memory pressure is high')),
                spinRow(settings, 'scan-interval-idle-seconds', _('List Refresh Otherwise'),
                    _('Seconds, while memory pressure is low')),
            ]),
    ]);
}

function thresholdsPage(watch: SettingsWatch, discovery: OomdDiscoveryGroup): Adw.PreferencesPage {
    const settings = watch.settings;
    return page(_('Thresholds'), 'dialog-warning-symbolic', [
        group('',
            _('Memory pressure is the share of time in which all your programs waited for memory. ' +
                'systemd-oomd stops something in a slice when its pressure stays above a limit for some time.'),
            [
                switchRow(settings, 'follow-oomd', _('Follow systemd-oomd'),
                    _('Use the slices, limits and times that systemd-oomd watches')),
            ]),
        discovery.group,
        group(_('Manual Limit'),
            _('Used for every slice of your session when not following systemd-oomd, or when its settings ' +
                'cannot be read.'),
            [
                spinRow(settings, 'pressure-limit-percent', _('Pressure Limit'),
                    _('Percent of the last 10 seconds spent waiting for memory')),
                spinRow(settings, 'pressure-duration-seconds', _('Time Over the Limit'),
                    _('Seconds before systemd-oomd may act')),
            ]),
        group(_('Warning'), _('When the indicator turns amber, and when it turns back.'), [
            spinRow(settings, 'warning-percent-of-limit', _('Warning Level'),
                _('Percent of the limit; 50 means amber at 40% when the limit is 80%')),
            spinRow(settings, 'lead-window-seconds', _('Warning Lead Time'),
                _('Seconds before systemd-oomd would act at the current rate')),
            spinRow(settings, 'amber-exit-margin-percent', _('Margin to Clear the Warning'),
                _('Percent of the limit below the warning level')),
            spinRow(settings, 'amber-exit-hold-seconds', _('Calm Time to Clear the Warning'),
                _('Seconds below that point before the indicator turns back')),
        ]),
    ]);
}

function notificationsPage(settings: Gio.Settings): Adw.PreferencesPage {
    return page(_('Notifications'), 'preferences-system-notifications-symbolic', [
        group('', _('Headroom can warn you before systemd-oomd stops something, and tell you afterwards.'), [
            switchRow(settings, 'notify-before-kill', _('Before a Kill'),
                _('Warn, with ways to free memory, when systemd-oomd is about to stop an app or container')),
            switchRow(settings, 'notify-after-kill', _('After a Kill'),
                _('Tell which app or container was stopped for lack of memory')),
        ]),
    ]);
}

function listsPage(settings: Gio.Settings): Adw.PreferencesPage {
    return page(_('Lists'), 'view-list-bullet-symbolic', [
        group(_('Menu'), _('The menu lists what uses the most memory.'), [
            spinRow(settings, 'list-count', _('Apps and Containers'),
                _('How many of the largest apps, and of the largest containers')),
            switchRow(settings, 'show-background', _('Show Background Services'),
                _('For information only; they are never offered for closing')),
        ]),
    ]);
}

function containersPage(watch: SettingsWatch): Adw.PreferencesPage {
    const settings = watch.settings;
    return page(_('Containers'), 'package-x-generic-symbolic', [
        group(_('Transcoding'),
            _('A container is marked as transcoding while it runs one of these programs. Separate the names ' +
                'with commas; Jellyfin’s transcoder is ffmpeg.'),
            [entryRow(watch, 'transcoder-commands', _('Transcoder Process Names'), NAME_LIST)]),
        group(_('Actions'), _('Pause stops a container’s CPU and growth but frees no memory.'), [
            comboRow(watch, 'container-second-action', _('Second Action'),
                _('Offered next to Pause'),
                [
                    { value: 'stop', label: _('Stop (Frees Its Memory)') },
                    { value: 'none', label: _('None') },
                ],
                () => settings.get_string('container-second-action'),
                value => settings.set_string('container-second-action', value)),
        ]),
    ]);
}

function advancedPage(watch: SettingsWatch): Adw.PreferencesPage {
    return page(_('Advanced'), 'preferences-other-symbolic', [
        group(_('Podman'),
            _('The program that lists, pauses, resumes and stops containers. It is run directly, never ' +
                'through a shell. Without it, containers are paused by freezing their cgroup.'),
            [entryRow(watch, 'podman-command', _('Podman Command'), TEXT)]),
        group(_('File Systems'),
            _('Where the kernel shows control groups (cgroups) and processes. Change these only to test ' +
                'with a recorded tree.'),
            [
                entryRow(watch, 'cgroup-root', _('Cgroup Root'), PATH),
                entryRow(watch, 'proc-root', _('Process Information Root'), PATH),
            ]),
    ]);
}
