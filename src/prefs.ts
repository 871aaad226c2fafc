// Headroom's preferences window (Adw). Runs in its own process: no shell modules here.

import Adw from 'gi://Adw';
import Gio from 'gi://Gio';
import Gtk from 'gi://Gtk';

import { ExtensionPreferences, gettext as _ } from 'resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js';

export default class HeadroomPreferences extends ExtensionPreferences {
    override fillPreferencesWindow(window: Adw.PreferencesWindow): Promise<void> {
        const settings = this.getSettings();
        const page = new Adw.PreferencesPage({ title: _('General'), icon_name: 'preferences-system-symbolic' });
        window.add(page);

        const panel = new Adw.PreferencesGroup({ title: _('Top Bar') });
        page.add(panel);
        const percentage = new Adw.SwitchRow({
            title: _('Show Percentage'),
            subtitle: _('The most urgent memory pressure next to the icon'),
        });
        settings.bind('show-percentage', percentage, 'active', Gio.SettingsBindFlags.DEFAULT);
        panel.add(percentage);

        const thresholds = new Adw.PreferencesGroup({
            title: _('Thresholds'),
            description: _('systemd-oomd stops an app when a slice’s memory pressure stays above the limit for the given time.'),
        });
        page.add(thresholds);
        thresholds.add(spinRow(settings, 'pressure-limit-percent', _('Pressure Limit (%)'), 1, 100));
        thresholds.add(spinRow(settings, 'pressure-duration-seconds', _('Time Over the Limit (s)'), 1, 3600));
        thresholds.add(spinRow(settings, 'warning-percent-of-limit', _('Warn at Share of Limit (%)'), 10, 100));
        thresholds.add(spinRow(settings, 'lead-window-seconds', _('Warn Before a Kill (s)'), 5, 300));

        return Promise.resolve();
    }
}

function spinRow(settings: Gio.Settings, key: string, title: string, lower: number, upper: number): Adw.SpinRow {
    const row = new Adw.SpinRow({
        title,
        adjustment: new Gtk.Adjustment({ lower, upper, step_increment: 1, page_increment: 10 }),
    });
    settings.bind(key, row, 'value', Gio.SettingsBindFlags.DEFAULT);
    return row;
}
