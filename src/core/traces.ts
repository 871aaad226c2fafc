// Synthetic pressure traces in the replay format, computed with the kernel's own PSI arithmetic
// (kernel/sched/psi.c), for tests and benchmarks.
//
//  * `full_total` accumulates the stalled microseconds continuously (exact for piecewise-constant stall).
//  * avg10 is recomputed every 2 s (PSI_FREQ), `phase` seconds after t = 0 and every 2 s after that:
//      pct  = floor(stalled_in_period * 100 / period)          (calc_avgs: div_u64(time * 100, period))
//      avg  = calc_load(avg, EXP_10s = 1677, pct * FIXED_1)     (FIXED_1 = 2048, rounding up while rising)
//    and shown as LOAD_INT(avg).LOAD_FRAC(avg): truncated to two decimals.
//    Simplification: updates are exactly 2 s apart (the kernel's period is PSI_FREQ = 2*HZ+1 jiffies and
//    jitters slightly), and idle periods are averaged one by one rather than back-filled by calc_load_n.
//  * Reclaim: while the slice stalls, pgscan rises on the slice and on one leaf (the "thrasher", which
//    is smaller than the "bystander" leaf next to it, whose pgscan does not move).
//
// `seedIncident()` and `dipIncident()` build recording-like traces of a quadlet's payload being killed
// (test/fixtures/replay/ holds them as files). `leadTimeTable()` runs the standard traces through the replay and reports, for each, when the user
// was warned and when the rule predicts oomd's kill.

import { formatReplayEvent, runReplay, type ReplayEvent, type ReplayOptions, type ReplayRecord } from './replay.js';

export const TRACE_SLICE = '/user.slice/user-1000.slice/user@1000.service/app.slice';
export const TRACE_THRASHER = `${TRACE_SLICE}/app-gnome-org.example.Thrasher-2001.scope`;
export const TRACE_BYSTANDER = `${TRACE_SLICE}/app-gnome-org.example.Bystander-2002.scope`;

const FSHIFT = 11;
const FIXED_1 = 1 << FSHIFT;
const EXP_10S = 1677;
const PERIOD_US = 2_000_000;

/** Scanned pages per second of full stall. */
const PGSCAN_PER_STALL_SEC = 20_000;

/** When the dip incident's stall pauses, and for how long. */
const DIP_AT = 41;
const DIP_SEC = 3;

/** The kernel's calc_load() (include/linux/sched/loadavg.h), on fixed-point values. */
export function calcLoad(load: number, exp: number, active: number): number {
    let newload = load * exp + active * (FIXED_1 - exp);
    if (active >= load)
        newload += FIXED_1 - 1;
    return Math.floor(newload / FIXED_1);
}

/** A fixed-point average as psi_show() prints it: LOAD_INT.LOAD_FRAC, two decimals, truncated. */
export function showAvg(avg: number): number {
    const int = Math.floor(avg / FIXED_1);
    const frac = Math.floor(((avg % FIXED_1) * 100) / FIXED_1);
    return (int * 100 + frac) / 100;
}

/** A stretch of constant full stall, in seconds and percent of wall time. */
export interface StallSegment {
    from: number;
    to: number;
    percent: number;
}

export interface TraceOptions {
    /** Seconds from t = 0 to the kernel's first averaging update, 0 ≤ phase < 2. Default 0.5. */
    phase?: number;
    /** Last sample time, seconds. Default: the end of the stall plus 90 s. */
    endSec?: number;
    /** Sampling interval, seconds. Default 1. */
    stepSec?: number;
}

/** Stalled microseconds in [0, t]. */
function stalledUs(segments: readonly StallSegment[], t: number): number {
    let us = 0;
    for (const s of segments) {
        const a = Math.max(0, s.from);
        const b = Math.min(t, s.to);
        if (b > a)
            us += (b - a) * s.percent * 1e4;
    }
    return Math.round(us);
}

export interface PsiPoint {
    t: number;
    /** `full avg10` as the kernel prints it. */
    avg10: number;
    /** `full total`, microseconds. */
    total: number;
}

/** The kernel's `full` avg10 and total at each of `times` (ascending) for the given stall. */
export function kernelPsi(segments: readonly StallSegment[], times: readonly number[], phase = 0.5): PsiPoint[] {
    if (!(phase >= 0 && phase < 2))
        throw new RangeError('phase must be in [0, 2)');
    let avg = 0;
    let nextUpdate = phase;
    let periodStartUs = 0;
    return times.map(t => {
        while (nextUpdate <= t) {
            const total = stalledUs(segments, nextUpdate);
            const pct = Math.floor(((total - periodStartUs) * 100) / PERIOD_US);
            avg = calcLoad(avg, EXP_10S, Math.min(100, pct) * FIXED_1);
            periodStartUs = total;
            nextUpdate += 2;
        }
        return { t, avg10: showAvg(avg), total: stalledUs(segments, t) };
    });
}

/** Sample times 0, step, 2·step, … up to `end`. */
export function sampleTimes(end: number, step = 1): number[] {
    const times: number[] = [];
    for (let i = 0; i * step <= end + 1e-9; i++)
        times.push(Math.round(i * step * 1e6) / 1e6);
    return times;
}

/** Records for the slice and its two leaves, sampled every `stepSec` from 0 to `endSec`. */
export function stallTrace(segments: readonly StallSegment[], opts: TraceOptions = {}): ReplayRecord[] {
    const lastStall = Math.max(0, ...segments.map(s => s.to));
    const times = sampleTimes(opts.endSec ?? lastStall + 90, opts.stepSec ?? 1);
    const records: ReplayRecord[] = [];
    for (const { t, avg10, total } of kernelPsi(segments, times, opts.phase ?? 0.5)) {
        const scanned = Math.round((total / 1e6) * PGSCAN_PER_STALL_SEC);
        const thrasher = 50_000 + scanned;
        const bystander = 400_000;
        records.push(
            { t, cgroup: TRACE_SLICE, full_avg10: avg10, full_total: total, pgscan: 1_000 + thrasher + bystander,
                memory_current: 4_200_000_000 },
            { t, cgroup: TRACE_THRASHER, full_avg10: avg10, full_total: total, pgscan: thrasher,
                memory_current: 1_200_000_000 },
            { t, cgroup: TRACE_BYSTANDER, full_avg10: 0, full_total: 0, pgscan: bystander,
                memory_current: 2_500_000_000 },
        );
    }
    return records;
}

/** Calm for `calmSec`, then a full stall of `percent` for `stallSec`, then calm. */
export function sustainedStall(percent: number, { calmSec = 10, stallSec = 90, ...opts }: TraceOptions & {
    calmSec?: number; stallSec?: number;
} = {}): ReplayRecord[] {
    return stallTrace([{ from: calmSec, to: calmSec + stallSec, percent }], opts);
}

/** A burst of full stall lasting `seconds` after a calm start (default 10 s calm), then calm. */
export function burst(seconds: number, percent = 100, { calmSec = 10, ...opts }: TraceOptions & { calmSec?: number } = {}): ReplayRecord[] {
    return stallTrace([{ from: calmSec, to: calmSec + seconds, percent }], opts);
}

// The seed incident's cgroups: a Jellyfin quadlet (its unit has ManagedOOMPreference=avoid, its payload
// sub-cgroup has none), Firefox (the biggest) and Evolution, in the user's app.slice.
export const INCIDENT_JELLYFIN = `${TRACE_SLICE}/jellyfin.service`;
export const INCIDENT_PAYLOAD = `${INCIDENT_JELLYFIN}/libpod-payload-4f3c2a1b9e8d`;
export const INCIDENT_FIREFOX = `${TRACE_SLICE}/app-gnome-firefox-4242.scope`;
export const INCIDENT_EVOLUTION = `${TRACE_SLICE}/app-gnome-org.gnome.Evolution-5151.scope`;

/** Stall as a share of the slice's; pgscan rate while the slice stalls; start values. */
const INCIDENT_LEAVES = [
    { path: INCIDENT_PAYLOAD, stallShare: 1, pgscanPerSec: 26_209, pgscan: 1_200_000, memory: 900_000_000 },
    { path: INCIDENT_FIREFOX, stallShare: 0.55, pgscanPerSec: 5_184, pgscan: 9_800_000, memory: 2_100_000_000 },
    { path: INCIDENT_EVOLUTION, stallShare: 0.1, pgscanPerSec: 950, pgscan: 300_000, memory: 450_000_000 },
] as const;

export interface IncidentOptions {
    phase?: number;
    /** Seconds from oomd's decision (20 s over the limit) to the kill in the file. Default 1. */
    killDelaySec?: number;
    /** Seconds recorded after the kill. Default 80 (the episode ends 60 s after calm returns). */
    afterKillSec?: number;
}

/**
 * A recording-like trace of the seed incident: full stall on app.slice as `segments` say, oomd's v257
 * rule (80 % / 20 s, 1 s ticks) deciding to kill, the kill `killDelaySec` later (a `killed` marker on
 * the payload leaf, which then disappears), and no stall after it. Leaves scan at fixed rates while the
 * slice stalls: the payload +26209/s, Firefox +5184/s, Evolution +950/s (the notes' example).
 */
export function incidentTrace(segments: readonly StallSegment[], opts: IncidentOptions = {}): ReplayRecord[] {
    const phase = opts.phase ?? 0.5;
    const lastStall = Math.max(0, ...segments.map(s => s.to));
    const probe = kernelPsi(segments, sampleTimes(lastStall + 60), phase);
    let hitStart: number | null = null;
    let decision: number | null = null;
    for (const p of probe) {
        hitStart = p.avg10 > 80 ? hitStart ?? p.t : null;
        if (hitStart !== null && p.t - hitStart >= 20) {
            decision = p.t;
            break;
        }
    }
    const kill = decision === null ? null : decision + (opts.killDelaySec ?? 1);
    const cut = segments
        .map(s => ({ ...s, to: kill === null ? s.to : Math.min(s.to, kill) }))
        .filter(s => s.to > s.from);
    const end = (kill ?? lastStall) + (opts.afterKillSec ?? 80);
    const times = sampleTimes(end);
    const slicePsi = kernelPsi(cut, times, phase);
    const scanning = cut.filter(s => s.percent > 0);
    const scanSec = (t: number) => scanning.reduce((sum, s) => sum + Math.max(0, Math.min(t, s.to) - s.from), 0);
    const leaves = INCIDENT_LEAVES.map(l => ({
        ...l,
        psi: kernelPsi(cut.map(s => ({ ...s, percent: s.percent * l.stallShare })), times, phase),
    }));

    const records: ReplayRecord[] = [];
    times.forEach((t, i) => {
        const gone = kill !== null && t > kill;
        // memory.stat and memory.pressure are hierarchical: a parent keeps what a removed child accumulated.
        const all = leaves.map(l => ({ l, pgscan: l.pgscan + Math.round(l.pgscanPerSec * scanSec(t)), psi: l.psi[i] as PsiPoint }));
        const present = all.filter(r => !(gone && r.l.path === INCIDENT_PAYLOAD));
        const payload = all.find(r => r.l.path === INCIDENT_PAYLOAD) as (typeof all)[number];
        const slice = slicePsi[i] as PsiPoint;
        records.push({ t, cgroup: TRACE_SLICE, full_avg10: slice.avg10, full_total: slice.total,
            pgscan: 2_000_000 + all.reduce((sum, r) => sum + r.pgscan, 0),
            memory_current: 304_000_000 + present.reduce((sum, r) => sum + r.l.memory, 0) });
        records.push({ t, cgroup: INCIDENT_JELLYFIN, full_avg10: payload.psi.avg10, full_total: payload.psi.total,
            pgscan: payload.pgscan, memory_current: 4_000_000 + (gone ? 0 : payload.l.memory), preference: 'avoid' });
        for (const r of present) {
            records.push({ t, cgroup: r.l.path, full_avg10: r.psi.avg10, full_total: r.psi.total, pgscan: r.pgscan,
                memory_current: r.l.memory });
        }
        if (kill !== null && t === kill)
            records.push({ t, cgroup: INCIDENT_PAYLOAD, killed: true });
    });
    return records;
}

/** The seed incident: app.slice climbs to 92.16 % full avg10 and oomd kills the Jellyfin payload. */
export function seedIncident(opts: IncidentOptions = {}): ReplayRecord[] {
    // 75 % for 18 s, then 94 %: full avg10 crosses 80 % at t = 37 and reads 92.16 % at the kill (t = 58).
    return incidentTrace([{ from: 10, to: 28, percent: 75 }, { from: 28, to: 300, percent: 94 }], opts);
}

/** Over the limit for 16 s, a dip below it, then over again: the timer restarts and the kill comes
 *  20 s after the re-crossing (the notes' observation on systemd-oomd 257.13). */
export function dipIncident(opts: IncidentOptions = {}): ReplayRecord[] {
    return incidentTrace([
        { from: 10, to: DIP_AT, percent: 100 },
        { from: DIP_AT, to: DIP_AT + DIP_SEC, percent: 0 },
        { from: DIP_AT + DIP_SEC, to: 300, percent: 100 },
    ], opts);
}

export interface LeadTimeRow {
    trace: string;
    /** When the pre-kill notification was shown, seconds after the stall's onset; null if never. */
    warnedAt: number | null;
    /** When the rule first predicts oomd's kill, seconds after onset; null if never. */
    predictedKillAt: number | null;
    /** predictedKillAt - warnedAt; null unless both happened. */
    leadSec: number | null;
    /** How many notifications were shown. */
    warnings: number;
}

export interface LeadTimeCase {
    trace: string;
    records: ReplayRecord[];
    onset: number;
}

/** The standard traces: sustained 85/90/100 % full stalls and 100 % bursts of 5, 10 and 15 s. */
export function leadTimeCases(opts: TraceOptions & { calmSec?: number } = {}): LeadTimeCase[] {
    const calmSec = opts.calmSec ?? 10;
    const o = { ...opts, calmSec };
    return [
        { trace: 'sustained 85 %', records: sustainedStall(85, o), onset: calmSec },
        { trace: 'sustained 90 %', records: sustainedStall(90, o), onset: calmSec },
        { trace: 'sustained 100 %', records: sustainedStall(100, o), onset: calmSec },
        { trace: 'burst 5 s', records: burst(5, 100, o), onset: calmSec },
        { trace: 'burst 10 s', records: burst(10, 100, o), onset: calmSec },
        { trace: 'burst 15 s', records: burst(15, 100, o), onset: calmSec },
    ];
}

export function leadTimeRow(trace: string, events: readonly ReplayEvent[], onset: number): LeadTimeRow {
    const warnings = events.filter(e => e.kind === 'warning');
    const warned = warnings[0]?.time ?? null;
    const kill = events.find(e => e.kind === 'predicted-kill')?.time ?? null;
    return {
        trace,
        warnedAt: warned === null ? null : warned - onset,
        predictedKillAt: kill === null ? null : kill - onset,
        leadSec: warned !== null && kill !== null ? kill - warned : null,
        warnings: warnings.length,
    };
}

/** The lead-time table for the standard traces, as the tests check it and the benchmark prints it. */
export function leadTimeTable(opts: TraceOptions & { calmSec?: number } = {}, replay: ReplayOptions = {}): LeadTimeRow[] {
    return leadTimeCases(opts).map(c => leadTimeRow(c.trace, runReplay(c.records, replay), c.onset));
}

/** The table as text, one row per line. */
export function formatLeadTimeTable(rows: readonly LeadTimeRow[]): string {
    const cell = (v: number | null) => (v === null ? '–' : `${v} s`);
    const head = ['trace', 'warned at', 'predicted kill at', 'lead', 'warnings'];
    const body = rows.map(r => [r.trace, cell(r.warnedAt), cell(r.predictedKillAt), cell(r.leadSec), String(r.warnings)]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map(b => (b[i] ?? '').length)));
    return [head, ...body].map(cols => cols.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** The events of one trace as text (for debugging a row). */
export function describeTrace(records: readonly ReplayRecord[], replay: ReplayOptions = {}): string {
    return runReplay(records, replay).map(formatReplayEvent).join('\n');
}

