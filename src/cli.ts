// `gjs -m dist/cli.js`: the engine of the extension in a terminal, for people and scripts.
//
//   gjs -m dist/cli.js [--root DIR] [--uid N] [--cgroup PATH]... [--limit PCT] [--duration SEC] [--json] [--watch]
//   gjs -m dist/cli.js --replay FILE.jsonl [--limit PCT] [--duration SEC] [--json]
//   gjs -m dist/cli.js --oomd [--json] [--watch]
//
// Without --watch it samples twice, a second apart (so the stall rate is known), and prints the state.
// --replay runs recorded samples (format: src/core/replay.ts and the README) through the same engine,
// episode logic and victim rule, and prints each predicted event with its time.
// --oomd asks systemd-oomd what it watches (src/sys/oomd.ts discoverOomd) and prints where the numbers
// came from and each watched cgroup; with --watch it then samples those cgroups with their own limits
// and prints every Killed signal of oomd as it arrives (JSON lines carry a `time`, ms since the epoch).

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import system from 'system';

import { PressureEngine } from './core/engine.js';
import { describeSlice, levelName } from './core/format.js';
import { DEFAULT_LEVEL_SETTINGS } from './core/level.js';
import { FEDORA_POLICY, type OomdPolicy } from './core/oomd.js';
import { snapshotReport } from './core/report.js';
import type { Snapshot } from './core/engine.js';
import { formatReplayEvent, parseReplay, runReplay } from './core/replay.js';
import type { Result } from './core/result.js';
import { discoverUserSlices } from './sys/cgroups.js';
import { readText } from './sys/files.js';
import { discoverOomd, OomdWatcher, type Discovery } from './sys/oomd.js';
import { PressureSampler } from './sys/sampler.js';

const USAGE = `Usage: gjs -m cli.js [OPTION]...
Show the memory pressure of the cgroups systemd-oomd watches, against its limits.

  --root DIR        where cgroup v2 is mounted (default /sys/fs/cgroup)
  --uid N           whose session to watch (default: yours)
  --cgroup PATH     watch this cgroup (path below the root) instead of the session's slices; repeatable
  --limit PCT       systemd-oomd's pressure limit (default ${FEDORA_POLICY.limitPercent})
  --duration SEC    how long pressure must stay above the limit (default ${FEDORA_POLICY.durationSec})
  --json            print JSON (one object per sample with --watch)
  --watch           print every second until interrupted
  --replay FILE     replay recorded samples (JSON Lines) and print the predicted events
  --oomd            ask systemd-oomd which cgroups it watches, with which limits; with --watch, sample
                    those cgroups with their limits and print each kill oomd reports
  --help            show this help`;

interface Options {
    root: string;
    uid: number;
    cgroups: string[];
    policy: OomdPolicy;
    json: boolean;
    watch: boolean;
    replay: string | null;
    oomd: boolean;
}

function parseArgs(args: string[]): Options | string {
    const options: Options = {
        root: '/sys/fs/cgroup',
        uid: new Gio.Credentials().get_unix_user(),
        cgroups: [],
        policy: { ...FEDORA_POLICY },
        json: false,
        watch: false,
        replay: null,
        oomd: false,
    };
    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        const value = (): string => {
            const v = args[++i];
            if (v === undefined)
                throw new Error(`${arg} needs a value`);
            return v;
        };
        const number = (): number => {
            const v = Number(value());
            if (!Number.isFinite(v) || v < 0)
                throw new Error(`${arg} needs a number`);
            return v;
        };
        try {
            switch (arg) {
            case '--root': options.root = value().replace(/\/+$/, ''); break;
            case '--uid': options.uid = number(); break;
            case '--cgroup': options.cgroups.push(`/${value().replace(/^\/+|\/+$/g, '')}`); break;
            case '--limit': options.policy.limitPercent = number(); break;
            case '--duration': options.policy.durationSec = number(); break;
            case '--json': options.json = true; break;
            case '--watch': options.watch = true; break;
            case '--replay': options.replay = value(); break;
            case '--oomd': options.oomd = true; break;
            case '--help': return USAGE;
            default: return `unknown option ${arg}\n\n${USAGE}`;
            }
        } catch (error) {
            return `${(error as Error).message}\n\n${USAGE}`;
        }
    }
    return options;
}

function printSnapshot(snapshot: Snapshot, json: boolean): void {
    if (json) {
        print(JSON.stringify(snapshotReport(snapshot)));
        return;
    }
    const lines = [`${levelName(snapshot.level)}${snapshot.reason ? `: ${snapshot.reason}` : ''}`];
    for (const slice of snapshot.slices)
        lines.push(`  ${describeSlice(slice)}`);
    print(lines.join('\n'));
}

function main(args: string[]): number {
    const options = parseArgs(args);
    if (typeof options === 'string') {
        const help = options === USAGE;
        (help ? print : printerr)(options);
        return help ? 0 : 2;
    }

    if (options.replay !== null)
        return replay(options.replay, options);
    if (options.oomd)
        return oomd(options);

    const loop = new GLib.MainLoop(null, false);
    const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
    let samples = 0;
    let status = 0;
    const sampler = new PressureSampler({
        root: options.root,
        uid: options.uid,
        cgroups: options.cgroups,
        policyFor: () => options.policy,
        onSample: (sample, reason) => {
            const snapshot = engine.update(sample, reason);
            samples++;
            if (options.watch || samples >= 2) {
                printSnapshot(snapshot, options.json);
                if (!options.watch) {
                    status = snapshot.level === 'unknown' ? 1 : 0;
                    loop.quit();
                }
            }
        },
        onError: error => printerr(String(error)),
    });
    sampler.start();
    loop.run();
    sampler.stop();
    return status;
}

/** Replays a recorded file; prints one line (or JSON object) per event. Exit 1 when the file is unusable. */
function replay(path: string, options: Options): number {
    const loop = new GLib.MainLoop(null, false);
    let status = 0;
    void readText(path, null).then(text => {
        loop.quit();
        if (!text.ok) {
            printerr(text.error.message);
            status = 1;
            return;
        }
        const { records, errors } = parseReplay(text.value);
        for (const e of errors)
            printerr(`${path}:${e.line}: ${e.message}`);
        if (records.length === 0) {
            printerr(`${path}: no samples to replay`);
            status = 1;
            return;
        }
        for (const event of runReplay(records, { policy: options.policy }))
            print(options.json ? JSON.stringify(event) : formatReplayEvent(event));
    });
    loop.run();
    return status;
}

// ---- --oomd ------------------------------------------------------------------------------------------

function busGet(type: Gio.BusType): Promise<Result<Gio.DBusConnection>> {
    return new Promise(resolve => {
        Gio.bus_get(type, null, (_source, res) => {
            try {
                resolve({ ok: true, value: Gio.bus_get_finish(res) });
            } catch (error) {
                resolve({ ok: false, error: { code: 'dbus', message: String(error) } });
            }
        });
    });
}

const SOURCE_TEXT: Record<Discovery['source'], string> = {
    'oomd-dump': "systemd-oomd's own report (org.freedesktop.oom1 DumpByFileDescriptor)",
    'unit-properties': "the slices' ManagedOOM* properties (org.freedesktop.systemd1) and oomd.conf",
};

function printDiscovery(found: Result<Discovery>, json: boolean): void {
    if (json) {
        print(JSON.stringify(found.ok ? { oomd: found.value } : { oomd: null, error: found.error }));
        return;
    }
    if (!found.ok) {
        print(`systemd-oomd: ${found.error.message} (${found.error.code})`);
        return;
    }
    const d = found.value;
    const lines = [
        `Limits from ${SOURCE_TEXT[d.source]}`,
        `Defaults: ${d.defaults.limitPercent}% for ${d.defaults.durationSec} s` +
            (d.swapUsedLimitPercent === null ? '' : `; swap used limit ${d.swapUsedLimitPercent}%`) +
            (d.dryRun === null ? '' : `; dry run: ${d.dryRun ? 'yes' : 'no'}`),
        d.monitored.length === 0 ? 'Watched for memory pressure: nothing' : 'Watched for memory pressure:',
        ...d.monitored.map(m => `  ${m.path}: above ${m.policy.limitPercent}% for ${m.policy.durationSec} s` +
            (m.unit ? ` (${m.unit})` : '')),
        ...d.notes.map(n => `Note: ${n}`),
    ];
    print(lines.join('\n'));
}

/** --oomd: discovery once; with --watch, samples of the watched cgroups and oomd's kills until interrupted. */
function oomd(options: Options): number {
    const loop = new GLib.MainLoop(null, false);
    const cancellable = new Gio.Cancellable();
    const engine = new PressureEngine(DEFAULT_LEVEL_SETTINGS);
    let status = 0;
    let discovery: Discovery | null = null;
    let generation = 0;
    // Set from callbacks; an object, so the compiler does not take them for null after loop.run().
    const running: { sampler: PressureSampler | null; watcher: OomdWatcher | null } = { sampler: null, watcher: null };

    const policyFor = (path: string) => discovery?.monitored.find(m => m.path === path)?.policy ?? options.policy;
    const startSampler = () => {
        running.sampler?.stop();
        const sampler = new PressureSampler({
            root: options.root,
            uid: options.uid,
            cgroups: options.cgroups.length > 0 ? options.cgroups : discovery?.monitored.map(m => m.path) ?? [],
            policyFor,
            onSample: (sample, reason) => {
                const snapshot = engine.update(sample, reason);
                if (options.json)
                    print(JSON.stringify({ ...snapshotReport(snapshot), time: Date.now() }));
                else
                    printSnapshot(snapshot, false);
            },
            onError: error => printerr(String(error)),
        });
        running.sampler = sampler;
        sampler.start();
    };

    const run = async () => {
        const [system_, session] = await Promise.all([busGet(Gio.BusType.SYSTEM), busGet(Gio.BusType.SESSION)]);
        if (!system_.ok) {
            printDiscovery({ ok: false, error: { code: 'no-system-bus', message: system_.error.message } }, options.json);
            status = 1;
            loop.quit();
            return;
        }
        // Without a session bus (root, or no user manager) only oomd's own report can answer; the
        // user's slices are then not asked about, so the system bus stands in for the unused user bus.
        const userBus = session.ok ? session.value : null;
        const discover = async () => {
            const mine = ++generation;
            const slices = userBus ? await discoverUserSlices(options.root, options.uid, cancellable) : null;
            const found = await discoverOomd({
                systemBus: system_.value,
                userBus: userBus ?? system_.value,
                userSlices: slices?.ok ? slices.value.map(p => p.slice(p.lastIndexOf('/') + 1)) : [],
                cancellable,
            });
            if (cancellable.is_cancelled() || mine !== generation)
                return found;
            const before = JSON.stringify(discovery?.monitored.map(m => m.path) ?? null);
            discovery = found.ok ? found.value : null;
            printDiscovery(found, options.json);
            if (options.watch && JSON.stringify(discovery?.monitored.map(m => m.path) ?? null) !== before)
                startSampler();
            return found;
        };
        const found = await discover();
        if (!options.watch) {
            status = found.ok ? 0 : 1;
            loop.quit();
            return;
        }
        const watcher = new OomdWatcher({
            systemBus: system_.value,
            userBus,
            onKilled: (cgroup, reason) => {
                engine.noteAction(GLib.get_monotonic_time() / 1e6);
                if (options.json)
                    print(JSON.stringify({ killed: { cgroup, reason }, time: Date.now() }));
                else
                    print(`Killed ${cgroup} (${reason}) at ${GLib.DateTime.new_now_local().format('%T')}`);
            },
            onChanged: () => void discover(),
            onError: error => printerr(String(error)),
        });
        running.watcher = watcher;
        watcher.start();
        if (!running.sampler)
            startSampler();
    };
    void run();
    loop.run();
    cancellable.cancel();
    running.watcher?.stop();
    running.sampler?.stop();
    return status;
}

system.exit(main(system.programArgs));
