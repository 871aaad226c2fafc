// The "Apps" and "Containers" sections of the menu: who holds the memory, and one click to free it.
// Rows are updated in place; while the menu is open their order stays put, so nothing jumps under the
// pointer. Names are set as plain text, never as markup.

import Clutter from 'gi://Clutter';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pango from 'gi://Pango';
import St from 'gi://St';

import * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';

import { formatBytes } from '../core/format.js';
import { _, fill, ngettext } from '../core/i18n.js';
import type { AppRow, ContainerRow, Inventory, Totals } from '../core/inventory.js';
import type { Result } from '../core/result.js';
import type { ServiceRow } from '../core/view.js';
import { isBelow } from '../core/victim.js';
import { verticalBox } from './box.js';

/** After asking an app to quit, how long before the row offers "Force Quit". */
const GRACE_SECONDS = 8;

export interface AppItem {
    row: AppRow;
    /** The app's name from its .desktop file, or the id as it is. */
    displayName: string;
    icon: Gio.Icon | null;
}

export interface InventoryView {
    inventory: Inventory;
    apps: AppItem[];
    /** The cgroup systemd-oomd would stop if it acted now (a path below the root), or null. */
    nextPick: string | null;
    /** A note about containers (podman missing, …), or null. */
    containerNote: string | null;
    /** What the last scan could not read (a folder it could not list, a listing that took too long), or null. */
    scanNote: string | null;
    /** Offer Stop beside Pause for containers. */
    offerStop: boolean;
    /** Session and background services to list for information; empty when the setting is off. */
    services: ServiceRow[];
}

export interface InventoryActions {
    closeApp(row: AppRow): Promise<Result<null>>;
    forceQuitApp(row: AppRow): Promise<Result<null>>;
    pauseContainer(row: ContainerRow, pause: boolean): Promise<Result<null>>;
    stopContainer(row: ContainerRow): Promise<Result<null>>;
}

function split(t: Totals): string {
    if (t.anon === null || t.file === null)
        return '';
    // What closing would really free (anon) against cache the kernel can drop anyway (file).
    return fill(_('%s in use · %s cache'), formatBytes(t.anon), formatBytes(t.file));
}

/** Whether the cgroup `path` is `unit` or lies below it. */
function holds(unit: string, path: string | null): boolean {
    return path !== null && (path === unit || isBelow(path, unit));
}

function memoryText(memory: number | null): string {
    return memory === null ? '–' : formatBytes(memory);
}

interface ButtonSpec {
    label: string;
    accessible: string;
    action: () => void;
    sensitive?: boolean;
}

/** A row: icon, name over a detail line, badges, size, and action buttons. */
class Row extends PopupMenu.PopupBaseMenuItem {
    static {
        GObject.registerClass(this);
    }

    readonly icon: St.Icon;
    readonly title: St.Label;
    readonly detail: St.Label;
    readonly badges: St.BoxLayout;
    readonly memory: St.Label;
    readonly buttons: St.BoxLayout;
    private _timers = new Set<number>();
    private _actions: (() => void)[] = [];
    private readonly _badgeLabels: St.Label[] = [];
    private readonly _buttonList: St.Button[] = [];
    gone = false;

    constructor() {
        super({ reactive: false, activate: false, can_focus: false, style_class: 'headroom-row' });
        this.icon = new St.Icon({ icon_size: 16, style_class: 'headroom-row-icon', y_align: Clutter.ActorAlign.CENTER });
        const text = verticalBox({ x_expand: true, y_align: Clutter.ActorAlign.CENTER });
        this.title = new St.Label({ style_class: 'headroom-row-name' });
        this.title.clutter_text.ellipsize = Pango.EllipsizeMode.END;
        this.detail = new St.Label({ style_class: 'headroom-detail headroom-row-detail' });
        // Sizes fit on one line; a message from the system wraps within the row's width instead of
        // widening the menu.
        this.detail.clutter_text.line_wrap = true;
        text.add_child(this.title);
        text.add_child(this.detail);
        this.badges = new St.BoxLayout({ style_class: 'headroom-badges', y_align: Clutter.ActorAlign.CENTER });
        this.memory = new St.Label({ style_class: 'headroom-row-memory', y_align: Clutter.ActorAlign.CENTER });
        this.buttons = new St.BoxLayout({ style_class: 'headroom-row-buttons', y_align: Clutter.ActorAlign.CENTER });
        for (const child of [this.icon, text, this.badges, this.memory, this.buttons])
            this.add_child(child);
        this.connect('destroy', () => {
            this.gone = true;
            for (const id of this._timers)
                GLib.source_remove(id);
            this._timers.clear();
        });
    }

    /** Shows these badges, reusing the labels already there (no actor churn on refresh). */
    setBadges(badges: { text: string; style: string }[]): void {
        badges.forEach((b, i) => {
            let label = this._badgeLabels[i];
            if (!label) {
                label = new St.Label({ y_align: Clutter.ActorAlign.CENTER });
                this._badgeLabels.push(label);
                this.badges.add_child(label);
            }
            label.text = b.text;
            label.style_class = `headroom-badge ${b.style}`;
        });
        for (const extra of this._badgeLabels.splice(badges.length))
            extra.destroy();
    }

    /**
     * Shows these buttons. Existing buttons are updated in place, so keyboard focus and a click in
     * progress survive a refresh; the action a button runs is looked up when it is clicked.
     */
    setButtons(buttons: ButtonSpec[]): void {
        this._actions = buttons.map(b => b.action);
        buttons.forEach((b, i) => {
            let button = this._buttonList[i];
            if (!button) {
                button = new St.Button({ style_class: 'button headroom-action', can_focus: true });
                button.connect('clicked', () => this._actions[i]?.());
                this._buttonList.push(button);
                this.buttons.add_child(button);
            }
            button.label = b.label;
            button.accessible_name = b.accessible;
            button.reactive = b.sensitive ?? true;
        });
        for (const extra of this._buttonList.splice(buttons.length))
            extra.destroy();
    }

    /** Shows an error from the system in the detail line until the next successful action. */
    showError(message: string): void {
        this.detail.text = message;
        this.detail.add_style_class_name('headroom-error');
    }

    clearError(): void {
        this.detail.remove_style_class_name('headroom-error');
    }

    later(seconds: number, fn: () => void): void {
        const id = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, seconds, () => {
            this._timers.delete(id);
            fn();
            return GLib.SOURCE_REMOVE;
        });
        this._timers.add(id);
    }
}

type Phase = { kind: 'idle' } | { kind: 'busy'; text: string } | { kind: 'closing'; forceOffered: boolean } |
    { kind: 'error'; message: string };

/** A keyed list of rows in a section, updated in place. */
class RowList<T> {
    private readonly _rows = new Map<string, { row: Row; phase: Phase; data: T }>();

    constructor(
        private readonly _section: PopupMenu.PopupMenuSection,
        private readonly _draw: (row: Row, data: T, phase: Phase, setPhase: (p: Phase) => void) => void,
    ) {}

    render(items: { key: string; data: T }[], keepOrder: boolean): void {
        const keys = new Set(items.map(i => i.key));
        for (const [key, entry] of this._rows) {
            if (!keys.has(key)) {
                entry.row.destroy();
                this._rows.delete(key);
            }
        }
        items.forEach((item, index) => {
            let entry = this._rows.get(item.key);
            if (!entry) {
                entry = { row: new Row(), phase: { kind: 'idle' }, data: item.data };
                this._rows.set(item.key, entry);
                this._section.addMenuItem(entry.row);
            }
            entry.data = item.data;
            if (!keepOrder)
                this._section.moveMenuItem(entry.row, index);
            this._redraw(entry);
        });
    }

    get size(): number {
        return this._rows.size;
    }

    private _redraw(entry: { row: Row; phase: Phase; data: T }): void {
        this._draw(entry.row, entry.data, entry.phase, phase => {
            entry.phase = phase;
            if (!entry.row.gone)
                this._redraw(entry);
        });
    }
}

export class InventorySections {
    readonly section = new PopupMenu.PopupMenuSection();
    private readonly _appsTitle = new PopupMenu.PopupSeparatorMenuItem(_('Apps'));
    private readonly _apps = new PopupMenu.PopupMenuSection();
    private readonly _appsEmpty: PopupMenu.PopupMenuItem;
    private readonly _appsMore: PopupMenu.PopupMenuItem;
    private readonly _containersTitle = new PopupMenu.PopupSeparatorMenuItem(_('Containers'));
    private readonly _containers = new PopupMenu.PopupMenuSection();
    private readonly _containersEmpty: PopupMenu.PopupMenuItem;
    private readonly _containersNote: PopupMenu.PopupMenuItem;
    private readonly _podmanNote: PopupMenu.PopupMenuItem;
    private readonly _totals: PopupMenu.PopupMenuItem;
    private readonly _scanNote: PopupMenu.PopupMenuItem;
    private readonly _servicesTitle = new PopupMenu.PopupSeparatorMenuItem(_('Session and Background'));
    private readonly _services = new PopupMenu.PopupMenuSection();
    private readonly _serviceRows: RowList<ServiceRow>;
    private _offerStop = true;
    private readonly _appRows: RowList<{ item: AppItem; pick: boolean }>;
    private readonly _containerRows: RowList<{ row: ContainerRow; pick: boolean }>;

    constructor(private readonly _actions: InventoryActions) {
        const info = (text = '') => {
            const item = new PopupMenu.PopupMenuItem(text, { reactive: false, can_focus: false });
            item.label.add_style_class_name('headroom-detail');
            return item;
        };
        this._appsEmpty = info(_('No apps are using memory'));
        this._appsMore = info();
        this._containersEmpty = info(_('No containers'));
        this._containersNote = info();
        this._containersNote.label.clutter_text.line_wrap = true;
        this._podmanNote = info();
        this._podmanNote.label.clutter_text.line_wrap = true;
        this._totals = info();
        this._scanNote = info();
        this._scanNote.label.clutter_text.line_wrap = true;

        for (const item of [this._appsTitle, this._scanNote, this._apps, this._appsEmpty, this._appsMore, this._containersTitle,
            this._podmanNote, this._containers, this._containersEmpty, this._containersNote, this._servicesTitle,
            this._services, this._totals])
            this.section.addMenuItem(item);

        this._appRows = new RowList(this._apps, (row, data, phase, setPhase) =>
            this._drawApp(row, data.item, data.pick, phase, setPhase));
        this._containerRows = new RowList(this._containers, (row, data, phase, setPhase) =>
            this._drawContainer(row, data.row, data.pick, phase, setPhase));
        this._serviceRows = new RowList(this._services, (row, service) => {
            row.icon.gicon = Gio.ThemedIcon.new('system-run-symbolic');
            row.title.text = service.name;
            row.detail.text = '';
            row.memory.text = memoryText(service.memory);
        });
    }

    /** Renders the inventory; with keepOrder (menu open) rows stay where they are. */
    render(view: InventoryView, keepOrder: boolean): void {
        const inv = view.inventory;
        this._offerStop = view.offerStop;
        this._appRows.render(view.apps.map(item => ({
            key: item.row.appId,
            data: { item, pick: item.row.units.some(unit => holds(unit, view.nextPick)) },
        })), keepOrder);
        this._containerRows.render(inv.containers.map(row => ({
            key: row.id,
            data: { row, pick: holds(row.unitPath, view.nextPick) },
        })), keepOrder);

        this._appsEmpty.visible = this._appRows.size === 0;
        this._appsMore.visible = inv.moreApps > 0;
        this._appsMore.label.text = ngettext('and %d more app', 'and %d more apps', inv.moreApps).replace('%d', String(inv.moreApps));
        this._containersEmpty.visible = this._containerRows.size === 0;
        this._containersNote.visible = this._containerRows.size > 0;
        this._containersNote.label.text = view.offerStop
            ? _('Pause stops a container’s CPU and growth but frees no memory; Stop frees it.')
            : _('Pause stops a container’s CPU and growth but frees no memory.');
        this._podmanNote.visible = view.containerNote !== null && this._containerRows.size > 0;
        this._podmanNote.label.text = view.containerNote ?? '';
        this._scanNote.visible = view.scanNote !== null;
        this._scanNote.label.text = view.scanNote ?? '';
        this._serviceRows.render(view.services.map(service => ({ key: service.path, data: service })), keepOrder);
        this._servicesTitle.visible = view.services.length > 0;

        const parts = [
            fill(_('Session %s'), memoryText(inv.session.memory)),
            fill(_('Background %s'), memoryText(inv.background.memory)),
            fill(_('All %s'), memoryText(inv.total.memory)),
        ];
        this._totals.label.text = parts.join(' · ');
    }

    private _drawApp(row: Row, item: AppItem, pick: boolean, phase: Phase, setPhase: (p: Phase) => void): void {
        row.icon.gicon = item.icon ?? Gio.ThemedIcon.new('application-x-executable-symbolic');
        row.title.text = item.displayName;
        row.memory.text = memoryText(item.row.memory);
        row.setBadges(pick ? [{ text: _('oomd’s next pick'), style: 'headroom-badge-pick' }] : []);
        if (phase.kind === 'error') {
            row.showError(phase.message);
        } else {
            row.clearError();
            row.detail.text = phase.kind === 'closing' ? _('Closing…') : split(item.row);
        }

        const close = () => {
            setPhase({ kind: 'closing', forceOffered: false });
            void this._actions.closeApp(item.row).then(r => {
                if (!r.ok) {
                    setPhase({ kind: 'error', message: r.error.message });
                    return;
                }
                row.later(GRACE_SECONDS, () => setPhase({ kind: 'closing', forceOffered: true }));
            });
        };
        const forceQuit = () => {
            setPhase({ kind: 'busy', text: _('Stopping…') });
            void this._actions.forceQuitApp(item.row).then(r =>
                setPhase(r.ok ? { kind: 'closing', forceOffered: false } : { kind: 'error', message: r.error.message }));
        };
        if (phase.kind === 'closing' && phase.forceOffered)
            row.setButtons([{ label: _('Force Quit'), accessible: fill(_('Force quit %s'), item.displayName), action: forceQuit }]);
        else if (phase.kind === 'closing' || phase.kind === 'busy')
            row.setButtons([{ label: _('Close'), accessible: fill(_('Close %s'), item.displayName), action: close, sensitive: false }]);
        else
            row.setButtons([{ label: _('Close'), accessible: fill(_('Close %s'), item.displayName), action: close }]);
    }

    private _drawContainer(row: Row, c: ContainerRow, pick: boolean, phase: Phase, setPhase: (p: Phase) => void): void {
        row.icon.gicon = Gio.ThemedIcon.new('package-x-generic-symbolic');
        row.title.text = c.name;
        row.memory.text = memoryText(c.memory);
        const badges = [];
        if (c.transcoding)
            badges.push({ text: _('transcoding'), style: 'headroom-badge-busy' });
        if (c.paused)
            badges.push({ text: _('paused'), style: 'headroom-badge-paused' });
        if (pick)
            badges.push({ text: _('oomd’s next pick'), style: 'headroom-badge-pick' });
        row.setBadges(badges);
        if (phase.kind === 'error') {
            row.showError(phase.message);
        } else {
            row.clearError();
            row.detail.text = phase.kind === 'busy' ? phase.text : split(c);
        }

        const act = (text: string, action: () => Promise<Result<null>>) => () => {
            setPhase({ kind: 'busy', text });
            void action().then(r => setPhase(r.ok ? { kind: 'idle' } : { kind: 'error', message: r.error.message }));
        };
        const busy = phase.kind === 'busy';
        const buttons: ButtonSpec[] = [
            c.paused
                ? { label: _('Resume'), accessible: fill(_('Resume %s'), c.name), sensitive: !busy,
                    action: act(_('Resuming…'), () => this._actions.pauseContainer(c, false)) }
                : { label: _('Pause'), accessible: fill(_('Pause %s: stops its CPU and growth, frees no memory'), c.name),
                    sensitive: !busy, action: act(_('Pausing…'), () => this._actions.pauseContainer(c, true)) },
        ];
        if (this._offerStop) {
            buttons.push({ label: _('Stop'), accessible: fill(_('Stop %s and free its memory'), c.name),
                sensitive: !busy, action: act(_('Stopping…'), () => this._actions.stopContainer(c)) });
        }
        row.setButtons(buttons);
    }
}
