// Settings as the engine sees them, from the plain numbers stored in GSettings.

import type { LevelSettings } from './level.js';
import type { OomdPolicy } from './oomd.js';

export interface StoredSettings {
    pressureLimitPercent: number;
    pressureDurationSeconds: number;
    warningPercentOfLimit: number;
    leadWindowSeconds: number;
    amberExitMarginPercent: number;
    amberExitHoldSeconds: number;
}

export function levelSettings(s: StoredSettings): LevelSettings {
    return {
        warnFraction: s.warningPercentOfLimit / 100,
        leadWindowSec: s.leadWindowSeconds,
        exitMarginFraction: s.amberExitMarginPercent / 100,
        exitHoldSec: s.amberExitHoldSeconds,
    };
}

/** The policy for slices whose oomd settings are not known (discovery from oomd comes later). */
export function fallbackPolicy(s: StoredSettings): OomdPolicy {
    return { limitPercent: s.pressureLimitPercent, durationSec: s.pressureDurationSeconds };
}
