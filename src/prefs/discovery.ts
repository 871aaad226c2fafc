// The Thresholds page's account of what systemd-oomd watches: each slice with its limit, its duration
// and where they came from, the pressure now and the point where the indicator turns amber.

import Adw from 'gi://Adw';
import Gio from 'gi://Gio';
import Gtk from 'gi://Gtk';

import { gettext as _, ngettext } from 'resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js';

import { formatPercent, sliceName } from '../core/format.js';
import type { OomdDump, OomdDumpCgroup } from '../core/oomd-dump.js';
import { fill } from '../core/i18n.js';
import { readOomdDump, type OomdReading } from './oomd.js';
import { infoRow, type SettingsWatch } from './rows.js';

/** `80%`, or `72.5%` where systemd-oomd's limit is not whole. */
function limitText(percent: number): string {
    return `${Number(percent.toFixed(2))}%`;
}

function secondsText(seconds: number): string {
    const n = Math.round(seconds);
    return ngettext('%d second', '%d seconds', n).replace('%d', String(n));
}

export class OomdDiscoveryGroup {
    readonly group: Adw.PreferencesGroup;
    private readonly _settings: Gio.Settings;
    private readonly _refresh: Gtk.Button;
    private _rows: Adw.ActionRow[] = [];
    private _reading: OomdReading | null = null;
    private _cancellable: Gio.Cancellable | null = null;

    constructor(watch: SettingsWatch) {
        this._settings = watch.settings;
        this.group = new Adw.PreferencesGroup({ title: _('What systemd-oomd Watches') });
        this._refresh = new Gtk.Button({
            icon_name: 'view-refresh-symbolic',
            tooltip_text: _('Read Again'),
            valign: Gtk.Align.CENTER,
            css_classes: ['flat'],
        });
        this._refresh.update_property([Gtk.AccessibleProperty.LABEL], [_('Read again from systemd-oomd')]);
        this._refresh.connect('clicked', () => this.read());
        this.group.header_suffix = this._refresh;
        watch.watch(['follow-oomd', 'warning-percent-of-limit'], () => this._render());
    }

    /** Asks systemd-oomd again; an answer that arrives after stop() is dropped. */
    read(): void {
        this._cancellable?.cancel();
        const cancellable = this._cancellable = new Gio.Cancellable();
        this._refresh.sensitive = false;
        this._reading = null;
        this._render();
        void readOomdDump(cancellable).then(reading => {
            if (cancellable.is_cancelled())
                return;
            this._reading = reading;
            this._refresh.sensitive = true;
            this._render();
        });
    }

    stop(): void {
        this._cancellable?.cancel();
        this._cancellable = null;
    }

    private _render(): void {
        for (const row of this._rows)
            this.group.remove(row);
        this._rows = this._describe(this._reading);
        for (const row of this._rows)
            this.group.add(row);
    }

    private _describe(reading: OomdReading | null): Adw.ActionRow[] {
        const following = this._settings.get_boolean('follow-oomd');
        const unused = following ? '' : _('Not used while “Follow systemd-oomd” is off.');
        if (!reading) {
            this.group.description = '';
            return [infoRow(_('Reading…'))];
        }
        if (reading.kind === 'not-running') {
            this.group.description = '';
            return [infoRow(_('systemd-oomd Is Not Running'),
                _('Nothing is stopped early for memory pressure. The indicator uses the manual limit.'))];
        }
        if (reading.kind === 'error') {
            this.group.description = '';
            return [infoRow(_('Cannot Read systemd-oomd’s Settings'), reading.message)];
        }

        const dump = reading.dump;
        const count = dump.pressureCgroups.length;
        this.group.description = [
            ngettext('systemd-oomd watches %d slice for memory pressure, as “oomctl dump” shows.',
                'systemd-oomd watches %d slices for memory pressure, as “oomctl dump” shows.', count)
                .replace('%d', String(count)),
            unused,
        ].filter(s => s !== '').join(' ');

        const rows: Adw.ActionRow[] = [];
        if (dump.dryRun)
            rows.push(infoRow(_('Dry Run'), _('systemd-oomd only logs what it would stop; it stops nothing.')));
        if (count === 0) {
            rows.push(infoRow(_('No Slice Is Watched'),
                _('No slice asks systemd-oomd to act on memory pressure. The indicator uses the manual limit.')));
        }
        for (const cgroup of dump.pressureCgroups)
            rows.push(this._sliceRow(cgroup));
        rows.push(this._defaultsRow(dump));
        if (dump.swapCgroups.length > 0 && dump.swapUsedLimitPercent !== null) {
            const n = dump.swapCgroups.length;
            rows.push(infoRow(_('Swap'),
                fill(ngettext('When swap is more than %s full, systemd-oomd may also stop something in %d slice.',
                    'When swap is more than %s full, systemd-oomd may also stop something in %d slices.', n),
                limitText(dump.swapUsedLimitPercent)).replace('%d', () => String(n))));
        }
        return rows;
    }

    private _sliceRow(cgroup: OomdDumpCgroup): Adw.ActionRow {
        const lines = [cgroup.path, policyText(cgroup.limitPercent, cgroup.durationSec)];
        if (cgroup.durationIsDefault && cgroup.durationSec !== null)
            lines.push(_('This systemd-oomd reports one time for all slices: its default.'));
        const warnAt = cgroup.limitPercent * this._settings.get_int('warning-percent-of-limit') / 100;
        lines.push(fill(_('The indicator turns amber at %s.'), formatPercent(warnAt)));

        const row = infoRow(sliceName(cgroup.path), lines.join('\n'));
        if (cgroup.avg10 !== null) {
            // Coloured as the indicator would be: over the limit, at the warning level, or calm.
            const style = cgroup.avg10 > cgroup.limitPercent ? 'error' : cgroup.avg10 >= warnAt ? 'warning' : 'dim-label';
            row.add_suffix(new Gtk.Label({
                label: fill(_('now %s'), formatPercent(cgroup.avg10)),
                tooltip_text: _('Memory pressure when systemd-oomd was asked'),
                css_classes: [style],
            }));
        }
        return row;
    }

    private _defaultsRow(dump: OomdDump): Adw.ActionRow {
        const lines = [_('For slices that set no limit or time of their own (in oomd.conf).')];
        if (dump.defaultLimitPercent !== null)
            lines.unshift(policyText(dump.defaultLimitPercent, dump.defaultDurationSec));
        return infoRow(_('Defaults'), lines.join('\n'));
    }
}

/** "Limit 80% for 20 seconds": the pressure and how long it may last before systemd-oomd acts. */
function policyText(limitPercent: number, durationSec: number | null): string {
    const limit = limitText(limitPercent);
    if (durationSec === null)
        return fill(_('Limit %s'), limit);
    return fill(_('Limit %s for %s'), limit, secondsText(durationSec));
}
