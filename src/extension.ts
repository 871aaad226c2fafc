// Headroom: wires the sampler (src/sys) to the engine (src/core) and the indicator (src/ui).
// Data flows one way: sample -> engine -> snapshot -> view.

import Gio from 'gi://Gio';

import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import { Extension } from 'resource:///org/gnome/shell/extensions/extension.js';

import { Disposer } from './core/disposer.js';
import { PressureEngine } from './core/engine.js';
import { setTranslator } from './core/i18n.js';
import { fallbackPolicy, levelSettings, type StoredSettings } from './core/settings.js';
import { PressureSampler } from './sys/sampler.js';
import { Indicator } from './ui/indicator.js';

export default class HeadroomExtension extends Extension {
    private _disposer: Disposer | null = null;

    override enable(): void {
        const disposer = this._disposer = new Disposer(error => console.error(`Headroom: ${String(error)}`));

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

        const indicator = new Indicator(`${this.path}/icons/headroom-symbolic.svg`, {
            openPreferences: () => this.openPreferences(),
        });
        Main.panel.addToStatusArea(this.uuid, indicator);
        disposer.defer(() => indicator.destroy());
        indicator.showPercentage = settings.get_boolean('show-percentage');

        const engine = new PressureEngine(levelSettings(stored()));
        const uid = new Gio.Credentials().get_unix_user();

        // The sampler is rebuilt when the cgroup root or the policy changes; it owns its reads and monitors.
        let sampler: PressureSampler | null = null;
        const startSampler = () => {
            sampler?.stop();
            const policy = fallbackPolicy(stored());
            sampler = new PressureSampler({
                root: settings.get_string('cgroup-root'),
                uid,
                policyFor: () => policy,
                onSample: (sample, reason) => indicator.render(engine.update(sample, reason)),
                onError: error => console.error(`Headroom: ${String(error)}`),
            });
            sampler.start();
        };
        startSampler();
        disposer.defer(() => sampler?.stop());

        const changed = settings.connect('changed', (_settings: Gio.Settings, key: string) => {
            switch (key) {
            case 'show-percentage':
                indicator.showPercentage = settings.get_boolean(key);
                break;
            case 'cgroup-root':
            case 'pressure-limit-percent':
            case 'pressure-duration-seconds':
                startSampler();
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
