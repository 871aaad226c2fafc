// Real memory pressure (PSI `full`) inside a test cgroup (root only). Recipe: notes/oomd-and-psi.md §12.
//
// N workers mmap the same file, which is bigger than the cgroup's memory limit, and read its pages in random
// order forever. Every miss is a refault of a recently evicted page: direct reclaim + a "workingset" read,
// both counted as memory stall, so the cgroup's `memory.pressure` `full` line climbs while nothing is
// OOM-killed (page cache is always reclaimable). Node cannot mmap, so the workers are perl (perl-base only)
// or, as fallback, python3.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const NO_DISK = new Map([[0x01021994, 'tmpfs'], [0x858458f6, 'ramfs']]);
// mmap(2) syscall numbers for perl's `syscall` builtin (Node's process.arch names).
const SYS_MMAP = { x64: 9, arm64: 222, riscv64: 222, loong64: 222, ppc64: 90 };

function works(cmd, args) {
    try {
        execFileSync(cmd, args, { stdio: 'ignore' });
        return true;
    } catch {
        return false;
    }
}

/** 'perl' if perl can run the mmap worker on this arch, else 'python3' if it has `mmap`, else null. */
export function pickEngine() {
    if (SYS_MMAP[process.arch] && works('perl', ['-e', '1'])) return 'perl';
    if (works('python3', ['-c', 'import mmap'])) return 'python3';
    return null;
}

function run(child, cmd, args) {
    return new Promise((resolve, reject) => {
        const p = child.spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        p.on('error', reject);
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${code} ${err}`))));
    });
}

/**
 * Starts pressure in `cgroup` (a handle from cgroups.mjs makeChild). Sets its memory limit to
 * `limitMiB` (default 32 + 8·N) and spawns N = `workers` (default max(8, 4·nCPU)) workers inside it over a
 * file of limit + `extraMiB` (default 64) in `fileDir` (default /var/tmp; must be disk-backed).
 * The file is unlinked as soon as the workers have mapped it, so it never outlives them.
 * Resolves to { stop(), pids, engine, limitBytes, fileBytes }; stop() SIGKILLs the workers and waits.
 */
export async function startPressure({
    cgroup, workers, fileDir = '/var/tmp', extraMiB = 64, limitMiB, engine = pickEngine(),
} = {}) {
    if (!cgroup) throw new Error('startPressure: cgroup required');
    if (!engine) throw new Error('startPressure: needs perl or python3 (apt-get install perl-base | python3)');
    const n = workers ?? Math.max(8, 4 * os.availableParallelism());
    const limitBytes = (limitMiB ?? 32 + 8 * n) * MiB;
    const fileBytes = limitBytes + extraMiB * MiB;

    const st = fs.statfsSync(fileDir);
    if (NO_DISK.has(st.type)) throw new Error(`${fileDir} is ${NO_DISK.get(st.type)}: pressure needs a disk-backed fs`);
    if (st.bavail * st.bsize < fileBytes + 256 * MiB) throw new Error(`${fileDir}: not enough free space`);

    cgroup.setMemoryLimit(limitBytes);
    const file = path.join(fileDir, `${cgroup.name}-pressure-${Date.now()}`);
    const procs = [];
    try {
        // Written and read from inside the cgroup, so whatever lands in page cache is charged to it, not to us.
        const count = `count=${fileBytes / MiB}`;
        await run(cgroup, 'dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', count, 'oflag=direct', 'status=none'])
            .catch(() => run(cgroup, 'dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', count, 'conv=fsync', 'status=none'])
                .then(() => run(cgroup, 'dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'])));
        // Prewarm: one sequential pass fills the cgroup and leaves shadow entries for the evicted part, so the
        // workers' first misses already count as thrashing (saves ~4 s of zero pressure).
        await run(cgroup, 'cat', [file]);

        const [cmd, args] = engine === 'perl'
            ? ['perl', [path.join(HERE, 'pressure-worker.pl'), file, String(SYS_MMAP[process.arch])]]
            : ['python3', [path.join(HERE, 'pressure-worker.py'), file]];
        await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
            const p = cgroup.spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
            const early = (code, sig) => reject(new Error(`pressure worker exited early: ${code ?? sig}`));
            procs.push(p);
            p.on('error', reject);
            p.once('exit', early);
            p.stdout.once('data', () => {
                p.off('exit', early);
                resolve();
            });
        })));
    } catch (e) {
        await killAll(procs);
        throw e;
    } finally {
        fs.rmSync(file, { force: true });
    }

    return {
        engine,
        limitBytes,
        fileBytes,
        pids: procs.map((p) => p.pid),
        stop: () => killAll(procs),
    };
}

function killAll(procs) {
    return Promise.all(procs.map((p) => new Promise((resolve) => {
        if (p.exitCode !== null || p.signalCode !== null) return resolve();
        p.once('exit', resolve);
        p.kill('SIGKILL');
    })));
}
