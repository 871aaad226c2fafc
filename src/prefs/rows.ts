// Rows of the preferences window, each bound to one settings key. A change made elsewhere (gsettings,
// another window) shows at once; the extension reacts to the key itself.

import Adw from 'gi://Adw';
import Gio from 'gi://Gio';
import type GLib from 'gi://GLib';
import Gtk from 'gi://Gtk';

/** Signal handlers on the settings object, disconnected when the window closes. */
export class SettingsWatch {
    private readonly _ids: number[] = [];

    constructor(readonly settings: Gio.Settings) {}

    /** Calls `callback` whenever one of `keys` changes. */
    watch(keys: readonly string[], callback: () => void): void {
        for (const key of keys)
            this._ids.push(this.settings.connect(`changed::${key}`, callback));
    }

    disconnectAll(): void {
        for (const id of this._ids.splice(0))
            this.settings.disconnect(id);
    }
}

export function switchRow(settings: Gio.Settings, key: string, title: string, subtitle: string): Adw.SwitchRow {
    const row = new Adw.SwitchRow({ title, subtitle });
    settings.bind(key, row, 'active', Gio.SettingsBindFlags.DEFAULT);
    return row;
}

/** A spin button over an integer key; its bounds are the key's range in the schema. */
export function spinRow(settings: Gio.Settings, key: string, title: string, subtitle: string): Adw.SpinRow {
    const [lower, upper] = keyRange(settings, key);
    const row = new Adw.SpinRow({
        title,
        subtitle,
        adjustment: new Gtk.Adjustment({ lower, upper, step_increment: 1, page_increment: 10 }),
    });
    settings.bind(key, row, 'value', Gio.SettingsBindFlags.DEFAULT);
    return row;
}

function keyRange(settings: Gio.Settings, key: string): [number, number] {
    // ('range', <(min, max)>) for keys with a <range>; every integer key of this schema has one.
    const [kind, bounds] = settings.settings_schema.get_key(key).get_range().deepUnpack() as [string, GLib.Variant];
    if (kind !== 'range')
        throw new Error(`settings key ${key} has no range`);
    return bounds.deepUnpack() as [number, number];
}

export interface Choice<T> {
    value: T;
    label: string;
}

/** A drop-down over a fixed set of values, read and written with `get` and `set`. */
export function comboRow<T>(watch: SettingsWatch, key: string, title: string, subtitle: string,
    choices: readonly Choice<T>[], get: () => T, set: (value: T) => void): Adw.ComboRow {
    const row = new Adw.ComboRow({
        title,
        subtitle,
        model: Gtk.StringList.new(choices.map(c => c.label)),
    });
    const show = () => {
        const index = choices.findIndex(c => c.value === get());
        if (index >= 0 && index !== row.selected)
            row.selected = index;
    };
    show();
    row.connect('notify::selected', () => {
        const choice = choices[row.selected];
        if (choice && choice.value !== get())
            set(choice.value);
    });
    watch.watch([key], show);
    return row;
}

export interface EntryFormat {
    /** The key's value as text. */
    format(settings: Gio.Settings, key: string): string;
    /** Stores the text; returns false (and stores nothing) when the text is not acceptable. */
    store(settings: Gio.Settings, key: string, text: string): boolean;
}

/** A text key: stored on Enter or with the row's apply button, so that a half-typed path is never used. */
export const TEXT: EntryFormat = {
    format: (settings, key) => settings.get_string(key),
    store: (settings, key, text) => {
        const value = text.trim();
        if (value === '')
            return false;
        settings.set_string(key, value);
        return true;
    },
};

/** An absolute path. */
export const PATH: EntryFormat = {
    format: (settings, key) => settings.get_string(key),
    store: (settings, key, text) => text.trim().startsWith('/') && TEXT.store(settings, key, text),
};

/** A list of names, shown and typed separated by commas (names may contain spaces). */
export const NAME_LIST: EntryFormat = {
    format: (settings, key) => settings.get_strv(key).join(', '),
    store: (settings, key, text) => {
        settings.set_strv(key, text.split(',').map(name => name.trim()).filter(name => name !== ''));
        return true;
    },
};

export function entryRow(watch: SettingsWatch, key: string, title: string, format: EntryFormat): Adw.EntryRow {
    const settings = watch.settings;
    const row = new Adw.EntryRow({ title, text: format.format(settings, key) });
    row.show_apply_button = true;
    const show = () => {
        const text = format.format(settings, key);
        if (row.text !== text) {
            // Text set from here is not an edit: hide the apply button that typing reveals.
            row.show_apply_button = false;
            row.text = text;
            row.show_apply_button = true;
        }
    };
    row.connect('apply', () => {
        if (format.store(settings, key, row.text))
            show();
        else
            row.add_css_class('error');
    });
    row.connect('changed', () => row.remove_css_class('error'));
    watch.watch([key], show);
    return row;
}

/** A read-only row of information; its text is shown as it is, never as markup. */
export function infoRow(title: string, subtitle = ''): Adw.ActionRow {
    return new Adw.ActionRow({ title, subtitle, use_markup: false, subtitle_selectable: true });
}
