// Adapter tests under real GJS: the Gio reader, cgroup discovery and the sampler, against a writable
// copy of a fixture tree ($HEADROOM_FIXTURE) and, when given, a real cgroup v2 child ($HEADROOM_REAL_CGROUP).

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import { discoverUserSlices } from '../../src/sys/cgroups.js';
import { filesystemType, listDirectories, PseudoFile, readText } from '../../src/sys/files.js';
import { PressureSampler, type SamplerOptions } from '../../src/sys/sampler.js';
import { writeControl } from '../../src/sys/control.js';
import { watch } from '../../src/sys/monitor.js';
import { Disposer } from '../../src/core/disposer.js';
import { parsePsi } from '../../src/core/psi.js';
import { FEDORA_POLICY } from '../../src/core/oomd.js';
import type { Sample } from '../../src/core/engine.js';
import { assert, assertAllClosed, assertEqual, env, openFilesBelow, run, sleep, test, waitFor } from './harness.js';

const fixture = env('HEADROOM_FIXTURE');
const manager = '/user.slice/user-1000.slice/user@1000.service';
const app = `${manager}/app.slice`;

function write(path: string, text: string): void {
    GLib.file_set_contents(path, text);
}

/** Rewrites a file in place (one IN_MODIFY), as the kernel updates memory.events, not by rename. */
function writeInPlace(path: string, text: string): void {
    const stream = Gio.File.new_for_path(path).open_readwrite(null);
    stream.seek(0, GLib.SeekType.SET, null);
    stream.truncate(0, null);
    stream.get_output_stream().write_all(new TextEncoder().encode(text), null);
    stream.close(null);
}

function pressure(full: number): string {
    return `some avg10=${(full + 5).toFixed(2)} avg60=1.00 avg300=0.50 total=1000\n` +
        `full avg10=${full.toFixed(2)} avg60=1.00 avg300=0.50 total=900\n`;
}

function mkdtemp(): string {
    return GLib.dir_make_tmp('headroom-gjs-XXXXXX');
}

test('readText reads a cgroup file', async () => {
    const r = await readText(`${fixture}${app}/memory.pressure`, null);
    assert(r.ok, 'read failed');
    assert(parsePsi(r.value).ok, 'fixture pressure does not parse');
});

test('readText of a missing file is a "missing" failure with the path', async () => {
    const r = await readText(`${fixture}/nope/memory.pressure`, null);
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'missing', 'code');
    assert(r.error.message.includes('/nope/memory.pressure'), `message names the path: ${r.error.message}`);
});

test('readText of a directory is an "io" failure, not an exception', async () => {
    const r = await readText(`${fixture}${app}`, null);
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'io', 'code');
});

test('readText cancelled is a "cancelled" failure', async () => {
    const c = new Gio.Cancellable();
    c.cancel();
    const r = await readText(`${fixture}${app}/memory.pressure`, c);
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'cancelled', 'code');
});

test('listDirectories lists subdirectories only, sorted', async () => {
    const r = await listDirectories(`${fixture}${manager}`, null);
    assert(r.ok, 'listing failed');
    assertEqual(r.value, ['app.slice', 'background.slice', 'session.slice'], 'directories');
});

test('discoverUserSlices finds the slices under user@UID.service', async () => {
    const r = await discoverUserSlices(fixture, 1000, null);
    assert(r.ok, `discovery failed: ${r.ok ? '' : r.error.message}`);
    assertEqual(r.value, [`${manager}/app.slice`, `${manager}/background.slice`, `${manager}/session.slice`], 'slices');
});

test('discoverUserSlices on a tree without cgroup v2 says so', async () => {
    const empty = mkdtemp();
    const r = await discoverUserSlices(empty, 1000, null);
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'no-cgroup2', 'code');
    assert(r.error.message.includes('cgroup v1'), r.error.message);
});

test('discoverUserSlices without a user manager for the uid says so', async () => {
    const r = await discoverUserSlices(fixture, 4242, null);
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'no-user-manager', 'code');
    assert(r.error.message.includes('uid 4242'), r.error.message);
});

test('discoverUserSlices with a manager but no slices says so', async () => {
    const root = mkdtemp();
    GLib.mkdir_with_parents(`${root}/user.slice/user-7.slice/user@7.service/init.scope`, 0o755);
    write(`${root}/cgroup.controllers`, 'memory pids\n');
    const r = await discoverUserSlices(root, 7, null);
    assert(!r.ok, 'expected a failure');
    assertEqual(r.error.code, 'no-slices', 'code');
});

test('a PseudoFile reads a file again from the start each time, and survives the file going away', async () => {
    const dir = mkdtemp();
    const path = `${dir}/memory.pressure`;
    write(path, pressure(1));
    const file = new PseudoFile(path);
    try {
        const first = await file.read(null);
        assert(first.ok && first.value === pressure(1), `first read: ${JSON.stringify(first)}`);
        // Rewritten in place, as the kernel's files are: the open stream sees the new text.
        writeInPlace(path, pressure(42.25));
        const second = await file.read(null);
        assert(second.ok && second.value === pressure(42.25), `second read: ${JSON.stringify(second)}`);
        // Longer than a page: read to the end, page by page.
        const long = `${'x'.repeat(5000)}\n`;
        writeInPlace(path, long);
        const third = await file.read(null);
        assert(third.ok && third.value === long, `a long file: ${third.ok ? third.value.length : third.error.message}`);
        // Gone (a removed cgroup): a failure, then a new file of that name is read again.
        GLib.unlink(path);
        GLib.rmdir(dir);
        const gone = await file.read(null);
        // A removed file that is still open reads on (a regular file): either its old text or missing.
        assert(!gone.ok ? gone.error.code === 'missing' : gone.value === long, `after removal: ${JSON.stringify(gone).slice(0, 80)}`);
        file.close();
        const closed = await file.read(null);
        assert(!closed.ok && closed.error.code === 'missing', `closed and gone: ${JSON.stringify(closed)}`);
        GLib.mkdir_with_parents(dir, 0o755);
        write(path, pressure(7));
        const back = await file.read(null);
        assert(back.ok && back.value === pressure(7), `recreated: ${JSON.stringify(back)}`);
    } finally {
        file.close();
    }
});

test('two overlapping reads of one PseudoFile both get the text', async () => {
    const dir = mkdtemp();
    write(`${dir}/f`, 'one\n');
    const file = new PseudoFile(`${dir}/f`);
    try {
        const [a, b] = await Promise.all([file.read(null), file.read(null)]);
        assert(a.ok && b.ok && a.value === 'one\n' && b.value === 'one\n', `${JSON.stringify(a)} ${JSON.stringify(b)}`);
    } finally {
        file.close();
    }
});

test('a PseudoFile closed while a read on it is out releases its descriptor when that read calls back', async () => {
    const dir = mkdtemp();
    write(`${dir}/f`, 'one\n');
    const file = new PseudoFile(`${dir}/f`);
    const cancellable = new Gio.Cancellable();
    const first = await file.read(cancellable);
    assert(first.ok, `first read: ${JSON.stringify(first)}`);
    assertEqual(openFilesBelow(dir), ['/f'], 'kept open after a read');
    // What stop() does mid-sample: the read is out on the kept stream, then the reads are cancelled and
    // the file closed. GIO refuses to close a stream with a read pending, so the close must wait for it.
    const second = file.read(cancellable);
    cancellable.cancel();
    file.close();
    await second;
    assertEqual(openFilesBelow(dir), [], 'nothing open once the read called back');
});

test('filesystemType names the file system of a path, null for a missing one', async () => {
    assertEqual(await filesystemType('/proc', null), 'proc', '/proc');
    assertEqual(await filesystemType('/nonexistent/headroom', null), null, 'missing');
});

/** Runs a sampler on the fixture and collects its samples. */
function sampling(intervalMs: number, root = fixture, cgroups?: string[], keepFilesOpen?: boolean, sampleLimitMs?: number,
    more: Partial<SamplerOptions> = {}) {
    const samples: { sample: Sample; reason: string | null }[] = [];
    const errors: unknown[] = [];
    const sampler = new PressureSampler({
        root, uid: 1000, cgroups, intervalMs, keepFilesOpen, sampleLimitMs, ...more,
        policyFor: () => FEDORA_POLICY,
        onSample: (sample, reason) => samples.push({ sample, reason }),
        onError: e => errors.push(e),
    });
    sampler.start();
    return { samples, errors, sampler };
}

function fullOf(sample: Sample, path: string): number | null {
    const r = sample.readings.find(x => x.path === path);
    return r?.psi.ok ? r.psi.value.full.avg10 : null;
}

test('the sampler reads every slice and follows a changed pressure file', async () => {
    const { samples, sampler } = sampling(200);
    try {
        await waitFor(() => (samples.length > 0 ? true : undefined), 3000, 'a first sample');
        const first = samples[0]?.sample;
        assert(first, 'a sample');
        assertEqual(first.readings.map(r => r.path).sort(),
            [`${manager}/app.slice`, `${manager}/background.slice`, `${manager}/session.slice`], 'paths');
        assertEqual(first.readings.find(r => r.path === app)?.pgscan, 31844921, 'pgscan from memory.stat');
        write(`${fixture}${app}/memory.pressure`, pressure(63.5));
        await waitFor(() => samples.some(s => fullOf(s.sample, app) === 63.5) ? true : undefined, 3000,
            'the new pressure');
    } finally {
        sampler.stop();
        write(`${fixture}${app}/memory.pressure`, pressure(0.5));
    }
});

test('a sampler that keeps its files open (as on cgroup2) follows a pressure file rewritten in place', async () => {
    const root = mkdtemp();
    GLib.mkdir_with_parents(`${root}/a`, 0o755);
    write(`${root}/a/memory.pressure`, pressure(3));
    write(`${root}/a/memory.stat`, 'anon 1\nfile 2\npgscan 10\n');
    const { samples, sampler } = sampling(100, root, ['/a'], true);
    try {
        await waitFor(() => (samples.some(s => fullOf(s.sample, '/a') === 3) ? true : undefined), 3000, 'the first value');
        assertEqual(openFilesBelow(root), ['/a/memory.pressure', '/a/memory.stat'], 'kept open between samples');
        writeInPlace(`${root}/a/memory.pressure`, pressure(55.5));
        await waitFor(() => (samples.some(s => fullOf(s.sample, '/a') === 55.5) ? true : undefined), 3000, 'the new value');
        writeInPlace(`${root}/a/memory.stat`, 'anon 1\nfile 2\npgscan 99\n');
        // memory.stat is read every fifth sample while pressure is low.
        await waitFor(() => (samples.some(s => s.sample.readings[0]?.pgscan === 99) ? true : undefined), 3000, 'the new pgscan');
        // The cgroup goes away: a failure for it, no exception.
        GLib.unlink(`${root}/a/memory.pressure`);
        GLib.unlink(`${root}/a/memory.stat`);
        GLib.rmdir(`${root}/a`);
        const count = samples.length;
        await sleep(300);
        assert(samples.length > count, 'sampling goes on');
    } finally {
        sampler.stop();
    }
    await assertAllClosed(root, 'nothing left open after stop()');
});

/** memory.pressure with the given `some total` and full avg10 (what the parent-first tests vary). */
function psi(someTotal: number, full = 0): string {
    return `some avg10=${full.toFixed(2)} avg60=0.00 avg300=0.00 total=${someTotal}\n` +
        `full avg10=${full.toFixed(2)} avg60=0.00 avg300=0.00 total=${someTotal}\n`;
}

test('reading the parent first: its quiet total stands for slices at 0.00; a stall in it, or one in a slice, is read', async () => {
    const root = mkdtemp();
    for (const dir of ['/m/a', '/m/b'])
        GLib.mkdir_with_parents(`${root}${dir}`, 0o755);
    write(`${root}/m/memory.pressure`, psi(100));
    write(`${root}/m/a/memory.pressure`, psi(60));
    write(`${root}/m/b/memory.pressure`, psi(40));
    const { samples, sampler } = sampling(50, root, ['/m/a', '/m/b'], true, undefined, { readParentFirst: true, settleSec: 0.3 });
    const last = (path: string) => fullOf(samples.at(-1)?.sample as Sample, path);
    try {
        await waitFor(() => (samples.length >= 12 ? true : undefined), 5000, 'samples past the settling time');
        assertEqual(openFilesBelow(root), ['/m/a/memory.pressure', '/m/b/memory.pressure', '/m/memory.pressure'],
            'the parent\'s file kept open with the slices\'');
        // A fixture can do what the kernel never does: change a slice and not its parent. The sampler does
        // not read the slice while the parent is quiet, so it keeps the reading it has.
        writeInPlace(`${root}/m/a/memory.pressure`, psi(61, 42));
        const count = samples.length;
        await waitFor(() => (samples.length >= count + 6 ? true : undefined), 5000, 'more samples');
        assertEqual(last('/m/a'), 0, 'the slice is not read while its parent shows no stall');
        // The stall shows in the parent's total: the slices are read again.
        writeInPlace(`${root}/m/memory.pressure`, psi(101));
        await waitFor(() => (last('/m/a') === 42 ? true : undefined), 3000, 'the slice read after the parent moved');
        // A slice with a stall average (decaying in the kernel) is read at every sample, parent quiet or not.
        await sleep(500);
        writeInPlace(`${root}/m/a/memory.pressure`, psi(61, 43));
        await waitFor(() => (last('/m/a') === 43 ? true : undefined), 3000, 'a slice above 0.00 read at every sample');
    } finally {
        sampler.stop();
    }
    await assertAllClosed(root, 'nothing left open after stop()');
});

test('reading the parent first: without a parent pressure file the slices are read directly', async () => {
    const root = mkdtemp();
    for (const dir of ['/m/a', '/m/b'])
        GLib.mkdir_with_parents(`${root}${dir}`, 0o755);
    write(`${root}/m/a/memory.pressure`, psi(60));
    write(`${root}/m/b/memory.pressure`, psi(40));
    const { samples, sampler } = sampling(50, root, ['/m/a', '/m/b'], false, undefined, { readParentFirst: true, settleSec: 0.1 });
    try {
        await waitFor(() => (samples.length >= 6 ? true : undefined), 5000, 'samples');
        write(`${root}/m/a/memory.pressure`, psi(61, 7));
        await waitFor(() => (fullOf(samples.at(-1)?.sample as Sample, '/m/a') === 7 ? true : undefined), 3000, 'the new value');
        assert(samples.every(s => s.sample.readings.every(r => r.psi.ok)), 'every reading is the slice\'s own');
    } finally {
        sampler.stop();
    }
});

test('while pressure is up, memory.stat is read at every sample of a slice near its limit, every fifth of a calm one', async () => {
    const root = mkdtemp();
    for (const [name, full] of [['near', 50], ['calm', 2]] as const) {
        GLib.mkdir_with_parents(`${root}/${name}`, 0o755);
        write(`${root}/${name}/memory.pressure`, pressure(full));
        write(`${root}/${name}/memory.stat`, 'pgscan 1\n');
    }
    const { samples, sampler } = sampling(60000, root, ['/near', '/calm']);
    sampler.hot = true;
    const pgscan = (path: string) => samples.at(-1)?.sample.readings.find(r => r.path === path)?.pgscan;
    try {
        await waitFor(() => (samples.length > 0 ? true : undefined), 3000, 'a first sample');
        // Two samples that are not every fifth one: only the slice at 50 % of an 80 % limit is read.
        let changed = 0;
        for (let i = 0; i < 3; i++) {
            write(`${root}/near/memory.stat`, `pgscan ${10 + i}\n`);
            write(`${root}/calm/memory.stat`, `pgscan ${10 + i}\n`);
            const count = samples.length;
            sampler.sampleNow();
            await waitFor(() => (samples.length > count ? true : undefined), 3000, 'a sample');
            assertEqual(pgscan('/near'), 10 + i, `the slice near its limit, sample ${i + 2}`);
            if (pgscan('/calm') === 10 + i)
                changed++;
        }
        assert(changed <= 1, `the calm slice's memory.stat is not read at every sample: ${changed} of 3`);
    } finally {
        sampler.stop();
    }
});

test('a read that never answers does not stop the sampling; the stuck file is not read again meanwhile', async () => {
    const root = mkdtemp();
    GLib.mkdir_with_parents(`${root}/a`, 0o755);
    GLib.mkdir_with_parents(`${root}/b`, 0o755);
    write(`${root}/a/memory.pressure`, pressure(4));
    // A FIFO without a writer: opening it for reading waits, as a kernfs read stuck on a lock would.
    const fifo = `${root}/b/memory.pressure`;
    const [made] = GLib.spawn_sync(null, ['mkfifo', fifo], null, GLib.SpawnFlags.SEARCH_PATH, null);
    assert(made, 'mkfifo');
    const release = () => GLib.spawn_sync(null, ['sh', '-c', `: > '${fifo}'`], null, GLib.SpawnFlags.SEARCH_PATH, null);
    const { samples, sampler } = sampling(150, root, ['/a', '/b'], false, 300);
    try {
        await waitFor(() => (samples.length >= 4 ? true : undefined), 5000, 'samples going on past the stuck read');
        const failures = samples.map(s => s.sample.readings.find(r => r.path === '/b')?.psi).map(p => (p && !p.ok ? p.error : null));
        assert(failures.every(f => f?.code === 'timeout'), `the stuck slice is a timeout: ${JSON.stringify(failures)}`);
        assert(failures[0]?.message.includes('did not answer'), `first: ${failures[0]?.message ?? ''}`);
        assert(failures.slice(1).some(f => f?.message.includes('still waiting for an earlier read')),
            `later samples do not read it again: ${JSON.stringify(failures.map(f => f?.message))}`);
        assertEqual(samples.map(s => fullOf(s.sample, '/a')).slice(-3), [4, 4, 4], 'the other slice is read as usual');
    } finally {
        sampler.stop();
        release();
    }
});

test('the sampler stops completely: no sample after stop()', async () => {
    const { samples, sampler } = sampling(100);
    await waitFor(() => (samples.length >= 2 ? true : undefined), 3000, 'two samples');
    sampler.stop();
    const count = samples.length;
    await sleep(400);
    assertEqual(samples.length, count, 'samples after stop');
});

test('a memory.events change wakes an extra sample before the next tick', async () => {
    const { samples, sampler } = sampling(60000);
    try {
        await waitFor(() => (samples.length >= 1 ? true : undefined), 3000, 'the first sample');
        await sleep(300);
        const before = samples.length;
        writeInPlace(`${fixture}${app}/memory.events`, 'low 0\nhigh 3\nmax 0\noom 0\noom_kill 0\n');
        await waitFor(() => (samples.length > before ? true : undefined), 3000, 'a sample woken by memory.events');
    } finally {
        sampler.stop();
    }
});

test('a slice that appears or vanishes is picked up through the directory monitor', async () => {
    const root = mkdtemp();
    const base = `${root}${manager}`;
    GLib.mkdir_with_parents(`${base}/app.slice`, 0o755);
    write(`${base}/app.slice/memory.pressure`, pressure(1));
    const { samples, sampler } = sampling(60000, root);
    try {
        await waitFor(() => (samples.length >= 1 ? true : undefined), 3000, 'the first sample');
        GLib.mkdir_with_parents(`${base}/user.slice`, 0o755);
        write(`${base}/user.slice/memory.pressure`, pressure(2));
        await waitFor(() => samples.some(s => fullOf(s.sample, `${manager}/user.slice`) === 2) ? true : undefined,
            4000, 'the new slice');
        GLib.unlink(`${base}/user.slice/memory.pressure`);
        GLib.rmdir(`${base}/user.slice`);
        await waitFor(() => {
            const last = samples.at(-1)?.sample;
            return last && !last.readings.some(r => r.path === `${manager}/user.slice`) ? true : undefined;
        }, 4000, 'the slice to be dropped');
    } finally {
        sampler.stop();
    }
});

test('a cgroup that vanishes between listing and reading gives a failure for that slice only', async () => {
    const root = mkdtemp();
    GLib.mkdir_with_parents(`${root}/a`, 0o755);
    write(`${root}/a/memory.pressure`, pressure(3));
    const { samples, sampler } = sampling(60000, root, ['/a', '/gone']);
    try {
        const s = await waitFor(() => samples[0]?.sample, 3000, 'a sample');
        assertEqual(fullOf(s, '/a'), 3, 'the readable cgroup');
        const gone = s.readings.find(r => r.path === '/gone');
        assert(gone && !gone.psi.ok && gone.psi.error.code === 'missing', 'the vanished cgroup is a missing failure');
        assertEqual(gone.pgscan, null, 'no pgscan without memory.stat');
    } finally {
        sampler.stop();
    }
});

test('malformed pressure text is a parse failure, not an exception', async () => {
    const root = mkdtemp();
    GLib.mkdir_with_parents(`${root}/a`, 0o755);
    write(`${root}/a/memory.pressure`, 'some avg10=1.00 avg60=oops\n');
    const { samples, sampler } = sampling(60000, root, ['/a']);
    try {
        const s = await waitFor(() => samples[0]?.sample, 3000, 'a sample');
        const r = s.readings[0];
        assert(r && !r.psi.ok && r.psi.error.code === 'malformed', `malformed: ${JSON.stringify(r?.psi)}`);
    } finally {
        sampler.stop();
    }
});

const real = env('HEADROOM_REAL_CGROUP');

test('a real cgroup v2 child: memory.pressure reads and parses through Gio', async () => {
    const r = await readText(`${real}/memory.pressure`, null);
    assert(r.ok, `read failed: ${r.ok ? '' : r.error.message}`);
    const psi = parsePsi(r.value);
    assert(psi.ok, `parse failed: ${psi.ok ? '' : psi.error.message}`);
});

async function frozen(): Promise<boolean | null> {
    const r = await readText(`${real}/cgroup.events`, null);
    const m = r.ok ? /^frozen (\d)$/m.exec(r.value) : null;
    return m ? m[1] === '1' : null;
}

test('the freezer fallback freezes and thaws a real process; the cgroup.events monitor sees both', async () => {
    const owner = new Disposer();
    const events: Gio.FileMonitorEvent[] = [];
    watch(owner, `${real}/cgroup.events`, 'file', null, e => events.push(e));
    try {
        assertEqual(await frozen(), false, 'frozen before');
        const w = await writeControl(`${real}/cgroup.freeze`, '1', null);
        assert(w.ok, `freeze failed: ${w.ok ? '' : w.error.message}`);
        await waitFor(() => events.includes(Gio.FileMonitorEvent.CHANGED) ? true : undefined, 5000, 'a CHANGED event on freeze');
        assertEqual(await frozen(), true, 'frozen after writing 1');
        events.length = 0;
        const t = await writeControl(`${real}/cgroup.freeze`, '0', null);
        assert(t.ok, `thaw failed: ${t.ok ? '' : t.error.message}`);
        await waitFor(() => events.includes(Gio.FileMonitorEvent.CHANGED) ? true : undefined, 5000, 'a CHANGED event on thaw');
        assertEqual(await frozen(), false, 'frozen after writing 0');
    } finally {
        owner.dispose();
    }
});

test('a real cgroup v2 file kept open gives fresh contents on each read from the start', async () => {
    assertEqual(await filesystemType(real, null), 'cgroup2', 'the file system of a real cgroup');
    const file = new PseudoFile(`${real}/cgroup.freeze`);
    const pressureFile = new PseudoFile(`${real}/memory.pressure`);
    try {
        const before = await file.read(null);
        assert(before.ok && before.value === '0\n', `before: ${JSON.stringify(before)}`);
        const w = await writeControl(`${real}/cgroup.freeze`, '1', null);
        assert(w.ok, `freeze failed: ${w.ok ? '' : w.error.message}`);
        const after = await file.read(null);
        assert(after.ok && after.value === '1\n', `after freezing, the same open file reads: ${JSON.stringify(after)}`);
        const t = await writeControl(`${real}/cgroup.freeze`, '0', null);
        assert(t.ok, `thaw failed: ${t.ok ? '' : t.error.message}`);
        const thawed = await file.read(null);
        assert(thawed.ok && thawed.value === '0\n', `after thawing: ${JSON.stringify(thawed)}`);
        for (let i = 0; i < 3; i++) {
            const r = await pressureFile.read(null);
            assert(r.ok && parsePsi(r.value).ok, `memory.pressure read ${i + 1}: ${JSON.stringify(r)}`);
        }
    } finally {
        file.close();
        pressureFile.close();
    }
});

test('writing a control file that does not exist is a readable failure', async () => {
    const r = await writeControl(`${real}/no-such-control`, '1', null);
    assert(!r.ok, 'expected a failure');
    assert(r.error.message.includes('no-such-control'), r.error.message);
});

run();
