// Runs a program asynchronously from an argv array (never through a shell), with a timeout and a
// cancellable. The result carries the program's own words when it fails.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { fail, ok, type Result } from '../core/result.js';

export interface RunOutput {
    stdout: string;
    stderr: string;
}

export function run(argv: string[], timeoutMs: number, cancellable: Gio.Cancellable | null): Promise<Result<RunOutput>> {
    const program = argv[0] ?? '';
    let proc: Gio.Subprocess;
    try {
        proc = Gio.Subprocess.new(argv, Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE);
    } catch (error) {
        // Spawning fails synchronously only when the program cannot be started at all.
        const message = error instanceof GLib.Error ? error.message : String(error);
        return Promise.resolve(fail(
            error instanceof GLib.Error && error.matches(GLib.SpawnError, GLib.SpawnError.NOENT) ? 'not-found' : 'spawn',
            `cannot run ${program}: ${message}`));
    }

    return new Promise(resolve => {
        let timedOut = false;
        let timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, timeoutMs, () => {
            timedOut = true;
            timer = 0;
            proc.force_exit();
            return GLib.SOURCE_REMOVE;
        });
        const cancelId = cancellable ? cancellable.connect(() => proc.force_exit()) : 0;

        proc.communicate_utf8_async(null, null, (_p, res) => {
            // Not after it fired: removing a source that is gone is a GLib-CRITICAL in the shell's log.
            if (timer !== 0)
                GLib.source_remove(timer);
            if (cancellable)
                cancellable.disconnect(cancelId);
            let stdout = '';
            let stderr = '';
            try {
                [, stdout, stderr] = proc.communicate_utf8_finish(res);
            } catch (error) {
                resolve(fail('io', `${program}: ${error instanceof GLib.Error ? error.message : String(error)}`));
                return;
            }
            if (timedOut) {
                resolve(fail('timeout', `${program} did not answer within ${Math.round(timeoutMs / 1000)} s`));
            } else if (cancellable?.is_cancelled()) {
                resolve(fail('cancelled', `${program} was cancelled`));
            } else if (!proc.get_successful()) {
                const words = (stderr || stdout).trim().split('\n').slice(-3).join('\n');
                resolve(fail('failed', words || `${program} failed with status ${proc.get_exit_status()}`));
            } else {
                resolve(ok({ stdout, stderr }));
            }
        });
    });
}
