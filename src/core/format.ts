// Words and numbers shown to people, shared by the panel, the menu and the command-line tool.

import { _, fill, ngettext } from './i18n.js';
import type { Level } from './level.js';
import type { Snapshot, SliceStatus } from './engine.js';

/** `62%`: pressure is shown as a whole percentage, which is as precise as a glance needs. */
export function formatPercent(value: number): string {
    return `${Math.round(value)}%`;
}

/** oomd's checks land on a ~1.25 s grid, so a countdown promises "about", rounded up. */
export function formatSeconds(seconds: number): string {
    const n = Math.max(0, Math.ceil(seconds));
    return ngettext('about %d second', 'about %d seconds', n).replace('%d', String(n));
}

/** Decimal units as GNOME uses them (g_format_size), rounded for a glance: 2.5 GB, 450 MB. */
export function formatBytes(bytes: number): string {
    if (bytes >= 1e9)
        return `${(bytes / 1e9).toFixed(1)} GB`;
    if (bytes >= 1e6)
        return `${Math.round(bytes / 1e6)} MB`;
    if (bytes >= 1e3)
        return `${Math.round(bytes / 1e3)} kB`;
    return `${bytes} B`;
}

/** Unescapes systemd's and GNOME's `\xNN` escapes in a unit name (bytes, decoded as UTF-8). */
export function unescapeUnitName(name: string): string {
    const bytes: number[] = [];
    let i = 0;
    while (i < name.length) {
        const m = /^\\x(?:ffffff)?([0-9a-fA-F]{2})/.exec(name.slice(i, i + 12));
        if (m) {
            bytes.push(parseInt(m[1] as string, 16));
            i += m[0].length;
            continue;
        }
        const code = name.codePointAt(i) as number;
        const ch = String.fromCodePoint(code);
        bytes.push(...new TextEncoder().encode(ch));
        i += ch.length;
    }
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}

/** A monitored slice's name in words. */
export function sliceName(path: string): string {
    const base = path.split('/').filter(p => p !== '').at(-1) ?? path;
    switch (base) {
    case 'app.slice':
        return _('Apps');
    case 'session.slice':
        return _('Session');
    case 'background.slice':
        return _('Background');
    case 'user.slice':
        return path === '/user.slice' ? _('Users') : _('Podman');
    case 'system.slice':
        return _('System services');
    default:
        return unescapeUnitName(base.replace(/\.slice$/, ''));
    }
}

export function levelName(level: Level): string {
    switch (level) {
    case 'ok':
        return _('Memory pressure is low');
    case 'amber':
        return _('Memory pressure is rising');
    case 'red':
        return _('systemd-oomd may stop an app soon');
    case 'unknown':
        return _('Memory pressure is unknown');
    }
}

/** One line about a slice: "Apps: 62% (limit 80%)" plus the countdown or projection when there is one. */
export function describeSlice(s: SliceStatus): string {
    const name = sliceName(s.path);
    if (s.avg10 === null || s.verdict === null)
        return `${name}: ${s.error?.message ?? _('unreadable')}`;
    const head = fill(_('%s: %s (limit %s)'), name, formatPercent(s.avg10), formatPercent(s.policy.limitPercent));
    const when = describeCountdown(s);
    return when ? `${head} — ${when}` : head;
}

/** "systemd-oomd may act in about 12 seconds" while over, or the projection while rising. */
export function describeCountdown(s: SliceStatus): string | null {
    if (s.verdict?.over && s.verdict.secondsLeft !== null) {
        if (s.verdict.secondsLeft <= 0) {
            return s.verdict.reclaimActive === false
                ? _('systemd-oomd may act once reclaim starts')
                : _('systemd-oomd may act now');
        }
        return fill(_('systemd-oomd may act in %s'), formatSeconds(s.verdict.secondsLeft));
    }
    if (s.projectedKillIn !== null)
        return fill(_('at this rate, systemd-oomd may act in %s'), formatSeconds(s.projectedKillIn));
    return null;
}

/** The panel's short text: the worst slice's full avg10. */
export function panelText(snapshot: Snapshot): string {
    return snapshot.worst?.avg10 != null ? formatPercent(snapshot.worst.avg10) : '–';
}

/** The sentence for screen readers and the menu header. */
export function accessibleText(snapshot: Snapshot): string {
    const state = levelName(snapshot.level);
    if (snapshot.level === 'unknown')
        return `${state}: ${snapshot.reason ?? ''}`.replace(/: $/, '');
    const worst = snapshot.worst;
    return worst ? `${state}. ${describeSlice(worst)}` : state;
}

/** The menu header's second line: why the level is unknown, or the most urgent slice. */
export function summaryLine(snapshot: Snapshot): string {
    if (snapshot.level === 'unknown')
        return snapshot.reason ?? '';
    return snapshot.worst ? describeSlice(snapshot.worst) : '';
}
