// The top-bar indicator and its menu. It renders snapshots; it computes nothing and touches no file.

import Clutter from 'gi://Clutter';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import St from 'gi://St';

import * as PanelMenu from 'resource:///org/gnome/shell/ui/panelMenu.js';
import * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';

import { _, fill } from '../core/i18n.js';
import {
    accessibleText, describeCountdown, formatPercent, levelName, panelText, sliceName, summaryLine,
} from '../core/format.js';
import type { Snapshot, SliceStatus } from '../core/engine.js';
import type { Level } from '../core/level.js';
import { InventorySections, type InventoryActions, type InventoryView } from './inventory.js';
import { PressureGraph } from './graph.js';
import { verticalBox } from './box.js';
import type { PressureHistory } from '../core/history.js';

const LEVEL_CLASSES: Record<Level, string> = {
    ok: 'headroom-ok',
    amber: 'headroom-amber',
    red: 'headroom-red',
    unknown: 'headroom-unknown',
};

export interface IndicatorActions extends InventoryActions {
    openPreferences: () => void;
    /** The menu opened or closed: the wiring scans more often while it is open. */
    menuOpened: (open: boolean) => void;
}

/** One monitored slice in the menu: name and pressure against the limit, and the countdown below. */
class SliceRow extends PopupMenu.PopupBaseMenuItem {
    static {
        GObject.registerClass(this);
    }

    private readonly _name: St.Label;
    private readonly _value: St.Label;
    private readonly _detail: St.Label;

    constructor() {
        super({ reactive: false, can_focus: false, style_class: 'headroom-slice' });
        const box = verticalBox({ x_expand: true });
        const line = new St.BoxLayout({ x_expand: true });
        this._name = new St.Label({ x_expand: true, y_align: Clutter.ActorAlign.CENTER });
        this._value = new St.Label({ style_class: 'headroom-value', y_align: Clutter.ActorAlign.CENTER });
        this._detail = new St.Label({ style_class: 'headroom-detail', visible: false });
        line.add_child(this._name);
        line.add_child(this._value);
        box.add_child(line);
        box.add_child(this._detail);
        this.add_child(box);
    }

    update(slice: SliceStatus): void {
        this._name.text = sliceName(slice.path);
        if (slice.avg10 === null) {
            this._value.text = _('unreadable');
            this._detail.text = slice.error?.message ?? '';
        } else {
            // "62% of 80%": the two numbers a person compares.
            this._value.text = fill(_('%s of %s'), formatPercent(slice.avg10), formatPercent(slice.policy.limitPercent));
            this._detail.text = describeCountdown(slice) ?? '';
        }
        this._detail.visible = this._detail.text !== '';
    }
}

export class Indicator extends PanelMenu.Button {
    static {
        GObject.registerClass(this);
    }

    private readonly _label: St.Label;
    private readonly _title: St.Label;
    private readonly _summary: St.Label;
    /** Every monitored slice, folded: the header already names the most urgent one. */
    private readonly _slices = new PopupMenu.PopupSubMenuMenuItem(_('Pressure by Slice'));
    private readonly _rows = new Map<string, SliceRow>();
    private readonly _victim: St.Label;
    private readonly _inventory: InventorySections;
    private readonly _graph = new PressureGraph();
    private readonly _source: PopupMenu.PopupMenuItem;
    private readonly _history = new PopupMenu.PopupSubMenuMenuItem('');
    private _level: Level | null = null;

    constructor(iconPath: string, actions: IndicatorActions) {
        super(0.5, _('Headroom'), false);
        this.add_style_class_name('headroom-indicator');

        const box = new St.BoxLayout({ style_class: 'panel-status-menu-box headroom-box' });
        box.add_child(new St.Icon({
            gicon: Gio.FileIcon.new(Gio.File.new_for_path(iconPath)),
            style_class: 'system-status-icon headroom-icon',
        }));
        this._label = new St.Label({ style_class: 'headroom-label', y_align: Clutter.ActorAlign.CENTER, text: '–' });
        box.add_child(this._label);
        this.add_child(box);

        const menu = this.menu as PopupMenu.PopupMenu;
        const header = new PopupMenu.PopupBaseMenuItem({ reactive: false, can_focus: false });
        const headerBox = verticalBox({ x_expand: true });
        this._title = new St.Label({ style_class: 'headroom-menu-header' });
        this._summary = new St.Label({ style_class: 'headroom-detail' });
        this._summary.clutter_text.line_wrap = true;
        this._victim = new St.Label({ style_class: 'headroom-detail headroom-victim', visible: false });
        this._victim.clutter_text.line_wrap = true;
        headerBox.add_child(this._title);
        headerBox.add_child(this._summary);
        headerBox.add_child(this._victim);
        header.add_child(headerBox);
        menu.addMenuItem(header);
        menu.addMenuItem(this._graph);
        menu.addMenuItem(this._slices);
        this._source = new PopupMenu.PopupMenuItem('', { reactive: false, can_focus: false });
        this._source.label.add_style_class_name('headroom-detail');
        this._source.label.clutter_text.line_wrap = true;
        this._slices.menu.addMenuItem(this._source);
        this._history.visible = false;
        menu.addMenuItem(this._history);
        this._inventory = new InventorySections(actions);
        menu.addMenuItem(this._inventory.section);
        // Apps and containers scroll when the menu would not fit on the screen; the header, the
        // slices and Settings stay in view.
        const lists = this._inventory.section.actor;
        const parent = lists.get_parent();
        if (parent) {
            const scroll = new St.ScrollView({
                style_class: 'headroom-scroll vfade',
                hscrollbar_policy: St.PolicyType.NEVER,
                vscrollbar_policy: St.PolicyType.AUTOMATIC,
                overlay_scrollbars: true,
            });
            parent.replace_child(lists, scroll);
            scroll.set_child(lists);
        }
        menu.addMenuItem(new PopupMenu.PopupSeparatorMenuItem());
        menu.addAction(_('Settings'), () => actions.openPreferences());
        menu.connect('open-state-changed', (_menu: PopupMenu.PopupMenu, open: boolean) => {
            actions.menuOpened(open);
            return undefined;
        });

        this.render(null);
    }

    set showPercentage(show: boolean) {
        this._label.visible = show;
    }

    /** Shows a snapshot; null means nothing has been sampled yet. */
    render(snapshot: Snapshot | null): void {
        const level = snapshot?.level ?? 'unknown';
        if (level !== this._level) {
            if (this._level)
                this.remove_style_class_name(LEVEL_CLASSES[this._level]);
            this.add_style_class_name(LEVEL_CLASSES[level]);
            this._level = level;
        }

        if (!snapshot) {
            this._label.text = '–';
            this._title.text = _('Reading memory pressure…');
            this._summary.visible = false;
            this.accessible_name = _('Headroom: reading memory pressure');
            return;
        }

        this._label.text = panelText(snapshot);
        this._title.text = levelName(snapshot.level);
        this._summary.text = summaryLine(snapshot);
        this._summary.visible = this._summary.text !== '';
        this.accessible_name = accessibleText(snapshot);
        this._renderSlices(snapshot.slices);
    }

    /** Where the limits come from ("Limits from systemd-oomd", or why they do not). */
    set limitsSource(text: string) {
        this._source.label.text = text;
    }

    /** The graph follows the history; it is drawn only while the menu is open. */
    plot(history: PressureHistory): void {
        if ((this.menu as PopupMenu.PopupMenu).isOpen)
            this._graph.plot(history);
    }

    /** oomd's kills from the journal: a summary line that opens onto their times. */
    renderHistory(summary: string | null, entries: string[]): void {
        this._history.visible = summary !== null;
        this._history.label.text = summary ?? '';
        this._history.menu.removeAll();
        for (const entry of entries) {
            const item = new PopupMenu.PopupMenuItem(entry, { reactive: false, can_focus: false });
            item.label.add_style_class_name('headroom-detail');
            this._history.menu.addMenuItem(item);
        }
    }

    /** Shows who holds the memory; while the menu is open rows keep their places. */
    renderInventory(view: InventoryView, victim: string | null): void {
        this._inventory.render(view, (this.menu as PopupMenu.PopupMenu).isOpen);
        this._victim.text = victim ?? '';
        this._victim.visible = victim !== null;
    }

    private _renderSlices(slices: readonly SliceStatus[]): void {
        const seen = new Set<string>();
        for (const slice of slices) {
            seen.add(slice.path);
            let row = this._rows.get(slice.path);
            if (!row) {
                row = new SliceRow();
                this._rows.set(slice.path, row);
                this._slices.menu.addMenuItem(row);
            }
            row.update(slice);
        }
        for (const [path, row] of this._rows) {
            if (!seen.has(path)) {
                row.destroy();
                this._rows.delete(path);
            }
        }
    }
}
