// `gjs -m dist/cli.js`: the engine of the extension in a terminal, for people and scripts.
//
//   gjs -m dist/cli.js [--root DIR] [--uid N] [--cgroup PATH]... [--limit PCT] [--duration SEC] [--json] [--watch]
//   gjs -m dist/cli.js --replay FILE.jsonl [--limit PCT] [--duration SEC] [--json]
//
// Without --watch it samples twice, a second apart (so the stall rate is known), and prints the state.
// --replay runs recorded samples (format: src/core/replay.ts and the README) through the same engine,
// episode logic and victim rule, and prints each predicted event with its time.

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
import { readText } from './sys/files.js';
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
  --help            show this help`;

interface Options {
    root: string;
    uid: number;
    cgroups: string[];
    policy: OomdPolicy;
    json: boolean;
    watch: boolean;
    replay: string | null;
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

system.exit(main(system.programArgs));
