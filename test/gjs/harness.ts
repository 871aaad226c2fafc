// A minimal test runner for code that needs real GJS (Gio, GLib). Each test prints one JSON line;
// the mocha suite in gjs.test.ts runs the bundle and turns every line into a mocha test.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

type TestFn = () => void | Promise<void>;

const tests: { name: string; fn: TestFn }[] = [];

export function test(name: string, fn: TestFn): void {
    tests.push({ name, fn });
}

export class AssertionError extends Error {}

export function assert(condition: unknown, message: string): asserts condition {
    if (!condition)
        throw new AssertionError(message);
}

export function assertEqual<T>(actual: T, expected: T, what: string): void {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    if (a !== e)
        throw new AssertionError(`${what}: expected ${e}, got ${a}`);
}

export function sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            resolve();
            return GLib.SOURCE_REMOVE;
        });
    });
}

/** Resolves with the first value `probe` returns that is not undefined, polling every 50 ms. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = GLib.get_monotonic_time() + timeoutMs * 1000;
    for (;;) {
        const value = probe();
        if (value !== undefined)
            return value;
        if (GLib.get_monotonic_time() > deadline)
            throw new AssertionError(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(50);
    }
}

/**
 * Asserts that nothing below `dir` is open once the reads out at a stop() have called back (a second at
 * most): GIO cannot close a stream while a read on it is pending, so such a file closes in its callback.
 */
export async function assertAllClosed(dir: string, what: string): Promise<void> {
    const deadline = GLib.get_monotonic_time() + 1_000_000;
    while (openFilesBelow(dir).length > 0 && GLib.get_monotonic_time() < deadline)
        await sleep(20);
    assertEqual(openFilesBelow(dir), [], what);
}

export function env(name: string): string {
    const value = GLib.getenv(name);
    if (value === null)
        throw new AssertionError(`environment variable ${name} is not set`);
    return value;
}

/** Runs every registered test in order inside a GLib main loop, then exits. */
export function run(): void {
    const loop = new GLib.MainLoop(null, false);
    void (async () => {
        for (const { name, fn } of tests) {
            const started = GLib.get_monotonic_time();
            try {
                await fn();
                print(JSON.stringify({ name, ok: true, ms: (GLib.get_monotonic_time() - started) / 1000 }));
            } catch (error) {
                const e = error as Error;
                print(JSON.stringify({ name, ok: false, error: `${e.message}\n${e.stack ?? ''}` }));
            }
        }
        loop.quit();
    })();
    loop.run();
}

/** Descriptors this process holds open on files below `dir`. */
export function openFilesBelow(dir: string): string[] {
    const fds = Gio.File.new_for_path('/proc/self/fd').enumerate_children('standard::name,standard::symlink-target',
        Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    const out: string[] = [];
    for (let info = fds.next_file(null); info !== null; info = fds.next_file(null)) {
        const target = info.get_symlink_target() ?? '';
        if (target.startsWith(`${dir}/`))
            out.push(target.slice(dir.length));
    }
    fds.close(null);
    return out.sort();
}
