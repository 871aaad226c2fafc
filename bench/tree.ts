// A synthetic desktop for the benchmarks: a cgroup v2 tree below user@1000.service with `leaves` leaf
// cgroups and `processes` processes, and a fake /proc with a folder per process. Written to a tmpfs, with
// the files the kernel would show (every cgroup folder carries the ~50 control files of a leaf with the
// cpu, io, memory and pids controllers; /proc/<pid> has status, smaps_rollup, cgroup and comm as the kernel
// formats them), so that listing a folder and reading a file cost what they cost on a real system, bar the
// kernel's own work of producing the text.
//
// Layout (fractions of `leaves`; at least one of each):
//   init.scope
//   app.slice/          app scopes (app-gnome-<id>-<pid>.scope, app-flatpak-…), a Terminal slice with
//                       vte-spawn tabs, a D-Bus activated service, quadlets (<name>.service with a
//                       libpod-payload-<64 hex> and a runtime leaf)
//   session.slice/      services (org.gnome.Shell@wayland.service, pipewire.service, …)
//   background.slice/   services
//   user.slice/         `podman run` containers: libpod-<id>.scope/container + libpod-conmon-<id>.scope
// Processes go to leaves by a skewed weight (a browser holds dozens, most units one or two).

import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MANAGER = '/user.slice/user-1000.slice/user@1000.service';
export const SLICES = ['app.slice', 'background.slice', 'session.slice', 'user.slice'] as const;

const PAGE = 4096;
const MiB = 1024 * 1024;

export interface TreeSize {
    leaves: number;
    processes: number;
}

export interface Tree {
    /** Stands in for /sys/fs/cgroup. */
    cgroupRoot: string;
    /** Stands in for /proc. */
    procRoot: string;
    /** The monitored slices, as paths below cgroupRoot. */
    slices: string[];
    leaves: number;
    cgroups: number;
    processes: number;
    containers: number;
    files: number;
    /** Folder entries below the manager (control files and child folders): what a full scan lists. */
    managerEntries: number;
}

/** A small deterministic generator (mulberry32), so every run writes the same tree. */
function random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

interface Node {
    name: string;
    children: Node[];
    /** Leaves: bytes charged; parents: filled in as the sum of the children. */
    current: number;
    pgscan: number;
    pids: number[];
    /** Command name of the leaf's processes. */
    comm: string;
    weight: number;
}

const node = (name: string, comm = '', weight = 1, children: Node[] = []): Node =>
    ({ name, children, current: 0, pgscan: 0, pids: [], comm, weight });

const APP_IDS = ['firefox', 'org.gnome.Evolution', 'code', 'org.gnome.Nautilus', 'org.gnome.Calendar',
    'org.gnome.TextEditor', 'org.gnome.Loupe', 'org.gnome.Settings', 'org.gnome.Software', 'thunderbird',
    'libreoffice-writer', 'org.gnome.Boxes', 'gimp', 'inkscape', 'org.gnome.Maps', 'org.gnome.Weather'];
const FLATPAK_IDS = ['com.slack.Slack', 'com.spotify.Client', 'org.signal.Signal', 'com.discordapp.Discord',
    'org.telegram.desktop', 'md.obsidian.Obsidian', 'com.visualstudio.code', 'org.mozilla.Thunderbird'];
const SESSION_UNITS = ['org.gnome.Shell@wayland.service', 'pipewire.service', 'pipewire-pulse.service',
    'wireplumber.service', 'xdg-desktop-portal.service', 'xdg-desktop-portal-gnome.service',
    'xdg-document-portal.service', 'xdg-permission-store.service', 'dbus-broker.service',
    'org.gnome.SettingsDaemon.Power.service', 'org.gnome.SettingsDaemon.Color.service',
    'org.gnome.SettingsDaemon.Keyboard.service', 'org.gnome.SettingsDaemon.MediaKeys.service',
    'gvfs-daemon.service', 'gvfs-udisks2-volume-monitor.service', 'at-spi-dbus-bus.service',
    'evolution-source-registry.service', 'evolution-calendar-factory.service', 'gnome-keyring-daemon.service',
    'org.freedesktop.IBus.session.GNOME.service'];
const BACKGROUND_UNITS = ['localsearch-3.service', 'tracker-miner-fs-3.service', 'gnome-software.service',
    'org.gnome.Photos.Tracker3.Miner.service', 'evolution-addressbook-factory.service'];

function hex64(rand: () => number): string {
    let s = '';
    for (let i = 0; i < 64; i++)
        s += Math.floor(rand() * 16).toString(16);
    return s;
}

/** Builds the unit tree with exactly `leaves` leaves. */
function buildTree(leaves: number, rand: () => number): { manager: Node; containers: number } {
    const app = node('app.slice');
    const session = node('session.slice');
    const background = node('background.slice');
    const user = node('user.slice');
    const init = node('init.scope', 'systemd');
    const manager = node('user@1000.service', '', 1, [init, app, background, session, user]);
    let left = leaves - 1; // init.scope

    const quadlets = Math.max(1, Math.round(leaves * 0.01));
    const runs = Math.max(1, Math.round(leaves * 0.01));
    let containers = 0;
    for (let i = 0; i < quadlets && left >= 2; i++, left -= 2, containers++) {
        app.children.push(node(`quadlet-${i}.service`, '', 1, [
            node(`libpod-payload-${hex64(rand)}`, i === 0 ? 'ffmpeg' : 'server', 8),
            node('runtime', 'conmon', 0.2),
        ]));
    }
    for (let i = 0; i < runs && left >= 2; i++, left -= 2, containers++) {
        const id = hex64(rand);
        user.children.push(node(`libpod-${id}.scope`, '', 1, [node('container', 'node', 6)]));
        user.children.push(node(`libpod-conmon-${id}.scope`, 'conmon', 0.2));
    }
    const nSession = Math.min(left, Math.max(1, Math.round(leaves * 0.1)));
    for (let i = 0; i < nSession; i++, left--) {
        const unit = SESSION_UNITS[i % SESSION_UNITS.length] as string;
        const name = i < SESSION_UNITS.length ? unit : unit.replace('.service', `-${i}.service`);
        session.children.push(node(name, name.split(/[.@-]/)[0] ?? 'svc', i === 0 ? 12 : 1));
    }
    const nBackground = Math.min(left, Math.max(1, Math.round(leaves * 0.04)));
    for (let i = 0; i < nBackground; i++, left--) {
        const unit = BACKGROUND_UNITS[i % BACKGROUND_UNITS.length] as string;
        background.children.push(node(i < BACKGROUND_UNITS.length ? unit : unit.replace('.service', `-${i}.service`),
            'miner', 1));
    }
    // A Terminal with tabs and a D-Bus activated Nautilus, then app scopes for the rest.
    if (left >= 4) {
        const tabs = Math.max(1, Math.min(left - 3, Math.round(leaves * 0.05)));
        const terminal = node('app-org.gnome.Terminal.slice', '', 1, [node('gnome-terminal-server.service', 'gnome-terminal-', 2)]);
        for (let i = 0; i < tabs; i++) {
            const uuid = hex64(rand).slice(0, 32);
            terminal.children.push(node(`vte-spawn-${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20)}.scope`, 'bash', 1));
        }
        app.children.push(terminal);
        left -= 1 + tabs;
        app.children.push(node('app-dbus\\x2d:1.2\\x2dorg.gnome.Nautilus.slice', '', 1,
            [node('dbus-:1.2-org.gnome.Nautilus@0.service', 'nautilus', 3)]));
        left--;
    }
    for (let i = 0; left > 0; i++, left--) {
        const flatpak = i % 3 === 2;
        const ids = flatpak ? FLATPAK_IDS : APP_IDS;
        const id = ids[i % ids.length] as string;
        const pid = 2000 + i * 37;
        const name = flatpak ? `app-flatpak-${id}-${pid}.scope` : `app-gnome-${id}-${pid}.scope`;
        const weight = i === 0 ? 40 : i < 4 ? 8 : i < 12 ? 3 : 1;
        app.children.push(node(name, id.split('.').at(-1)?.slice(0, 15) ?? 'app', weight));
    }
    return { manager, containers };
}

function leavesOf(n: Node): Node[] {
    return n.children.length === 0 ? [n] : n.children.flatMap(leavesOf);
}

/** Gives every leaf one process and the rest by weight (largest remainder); assigns sizes and pgscan. */
function populate(manager: Node, processes: number, rand: () => number): void {
    const leaves = leavesOf(manager);
    const total = leaves.reduce((s, l) => s + l.weight, 0);
    const extra = Math.max(0, processes - leaves.length);
    const exact = leaves.map(l => (extra * l.weight) / total);
    const counts = exact.map(x => 1 + Math.floor(x));
    let missing = Math.max(leaves.length, processes) - counts.reduce((s, c) => s + c, 0);
    for (const i of exact.map((x, k) => [x - Math.floor(x), k] as const).sort((a, b) => b[0] - a[0]).map(([, k]) => k)) {
        if (missing-- <= 0)
            break;
        counts[i] = (counts[i] ?? 0) + 1;
    }
    let pid = 1500;
    leaves.forEach((leaf, i) => {
        for (let k = 0; k < (counts[i] ?? 1); k++)
            leaf.pids.push(pid += 1 + Math.floor(rand() * 3));
        leaf.current = Math.round((4 * MiB + rand() * 60 * MiB * leaf.weight) / PAGE) * PAGE;
        leaf.pgscan = Math.floor(rand() * 200_000);
    });
    const sum = (n: Node): void => {
        if (n.children.length === 0)
            return;
        n.children.forEach(sum);
        n.current = n.children.reduce((s, c) => s + c.current, 0) + 512 * 1024;
        n.pgscan = n.children.reduce((s, c) => s + c.pgscan, 0);
    };
    sum(manager);
}

/** memory.stat as the kernel prints it (6.x key order), derived from memory.current and pgscan. */
function memoryStat(current: number, pgscan: number): string {
    const p = (x: number) => Math.round(x / PAGE) * PAGE;
    const anon = p(current * 0.62);
    const file = p(current * 0.3);
    const kernel = current - anon - file;
    const shmem = p(file * 0.05);
    const slab = p(kernel * 0.5);
    const stat: [string, number][] = [
        ['anon', anon], ['file', file], ['kernel', kernel], ['kernel_stack', p(kernel * 0.04)],
        ['pagetables', p(kernel * 0.25)], ['sec_pagetables', 0], ['percpu', p(kernel * 0.01)], ['sock', 0],
        ['vmalloc', p(kernel * 0.002)], ['shmem', shmem], ['zswap', 0], ['zswapped', 0],
        ['file_mapped', p(file * 0.3)], ['file_dirty', p(file * 0.001)], ['file_writeback', 0], ['swapcached', 0],
        ['anon_thp', p(anon * 0.02)], ['file_thp', 0], ['shmem_thp', 0], ['inactive_anon', p(anon * 0.45)],
        ['active_anon', anon - p(anon * 0.45) + shmem], ['inactive_file', p(file * 0.7)],
        ['active_file', file - shmem - p(file * 0.7)], ['unevictable', 0], ['slab_reclaimable', p(slab * 0.6)],
        ['slab_unreclaimable', slab - p(slab * 0.6)], ['slab', slab], ['workingset_refault_anon', 0],
        ['workingset_refault_file', Math.round(pgscan * 0.28)], ['workingset_activate_anon', 0],
        ['workingset_activate_file', Math.round(pgscan * 0.09)], ['workingset_restore_anon', 0],
        ['workingset_restore_file', Math.round(pgscan * 0.05)], ['workingset_nodereclaim', 0], ['pgdemote_kswapd', 0],
        ['pgdemote_direct', 0], ['pgdemote_khugepaged', 0], ['pgscan', pgscan], ['pgsteal', Math.round(pgscan * 0.63)],
        ['pgscan_kswapd', Math.round(pgscan * 0.7)], ['pgscan_direct', pgscan - Math.round(pgscan * 0.7)],
        ['pgscan_khugepaged', 0], ['pgsteal_kswapd', Math.round(pgscan * 0.44)],
        ['pgsteal_direct', Math.round(pgscan * 0.19)], ['pgsteal_khugepaged', 0],
        ['pgfault', Math.round(current / PAGE) * 3 + pgscan], ['pgmajfault', Math.round(pgscan * 0.013)],
        ['pgrefill', Math.round(pgscan * 0.4)], ['pgactivate', Math.round(pgscan * 0.2)],
        ['pgdeactivate', Math.round(pgscan * 0.3)], ['pglazyfree', 0], ['pglazyfreed', 0], ['zswpin', 0],
        ['zswpout', 0], ['zswpwb', 0], ['thp_fault_alloc', 12], ['thp_collapse_alloc', 3],
        ['thp_swpout', 0], ['thp_swpout_fallback', 0],
    ];
    return stat.map(([k, v]) => `${k} ${v}\n`).join('');
}

export function psiText(someAvg10: number, fullAvg10: number, someTotal: number, fullTotal: number): string {
    const f = (v: number) => v.toFixed(2);
    return `some avg10=${f(someAvg10)} avg60=${f(someAvg10 * 0.8)} avg300=${f(someAvg10 * 0.5)} total=${someTotal}\n` +
        `full avg10=${f(fullAvg10)} avg60=${f(fullAvg10 * 0.8)} avg300=${f(fullAvg10 * 0.5)} total=${fullTotal}\n`;
}

const CPU_STAT = 'usage_usec 81234567\nuser_usec 61234567\nsystem_usec 20000000\ncore_sched.force_idle_usec 0\n' +
    'nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n';
const MEMORY_EVENTS = 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n';

/** The control files of a cgroup with the cpu, io, memory and pids controllers. */
function controlFiles(n: Node, leaf: boolean): [string, string][] {
    const pids = leaf ? n.pids : [];
    return [
        ['cgroup.controllers', leaf ? '' : 'cpu io memory pids\n'],
        ['cgroup.events', `populated ${n.current > 0 ? 1 : 0}\nfrozen 0\n`],
        ['cgroup.freeze', '0\n'], ['cgroup.kill', ''], ['cgroup.max.depth', 'max\n'],
        ['cgroup.max.descendants', 'max\n'], ['cgroup.pressure', '1\n'],
        ['cgroup.procs', pids.map(p => `${p}\n`).join('')],
        ['cgroup.stat', `nr_descendants ${n.children.length}\nnr_dying_descendants 0\n`],
        ['cgroup.subtree_control', leaf ? '' : 'cpu io memory pids\n'],
        ['cgroup.threads', pids.map(p => `${p}\n`).join('')], ['cgroup.type', 'domain\n'],
        ['cpu.idle', '0\n'], ['cpu.max', 'max 100000\n'], ['cpu.max.burst', '0\n'],
        ['cpu.pressure', psiText(0.5, 0, 123456, 0)], ['cpu.stat', CPU_STAT], ['cpu.stat.local', 'throttled_usec 0\n'],
        ['cpu.weight', '100\n'], ['cpu.weight.nice', '0\n'], ['io.pressure', psiText(0.1, 0.05, 45678, 23456)],
        ['io.stat', '259:0 rbytes=1048576 wbytes=524288 rios=100 wios=50 dbytes=0 dios=0\n'],
        ['io.weight', 'default 100\n'], ['memory.current', `${n.current}\n`], ['memory.events', MEMORY_EVENTS],
        ['memory.events.local', MEMORY_EVENTS], ['memory.high', 'max\n'], ['memory.low', '0\n'], ['memory.max', 'max\n'],
        ['memory.min', '0\n'], ['memory.numa_stat', `anon N0=${Math.round(n.current * 0.62)}\nfile N0=${Math.round(n.current * 0.3)}\n`],
        ['memory.oom.group', '0\n'], ['memory.peak', `${n.current + 8 * MiB}\n`],
        ['memory.pressure', psiText(0, 0, 412345, 198765)], ['memory.reclaim', ''],
        ['memory.stat', memoryStat(n.current, n.pgscan)], ['memory.swap.current', '0\n'],
        ['memory.swap.events', 'high 0\nmax 0\nfail 0\n'], ['memory.swap.high', 'max\n'], ['memory.swap.max', 'max\n'],
        ['memory.swap.peak', '0\n'], ['memory.zswap.current', '0\n'], ['memory.zswap.max', 'max\n'],
        ['memory.zswap.writeback', '1\n'], ['pids.current', `${pids.length}\n`], ['pids.events', 'max 0\n'],
        ['pids.max', 'max\n'], ['pids.peak', `${pids.length + 2}\n`],
    ];
}

/** /proc/<pid>/status as kernel 6.x prints it. */
function statusText(comm: string, pid: number, ppid: number, rssKb: number): string {
    const anon = Math.round(rssKb * 0.7);
    const vm = rssKb * 4 + 200_000;
    return `Name:\t${comm}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t${pid}\nNgid:\t0\nPid:\t${pid}\nPPid:\t${ppid}\n` +
        'TracerPid:\t0\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nFDSize:\t256\nGroups:\t10 1000 \n' +
        `NStgid:\t${pid}\nNSpid:\t${pid}\nNSpgid:\t${ppid}\nNSsid:\t${ppid}\nKthread:\t0\nVmPeak:\t${vm + 4096} kB\n` +
        `VmSize:\t${vm} kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t${rssKb + 1024} kB\nVmRSS:\t${rssKb} kB\n` +
        `RssAnon:\t${anon} kB\nRssFile:\t${rssKb - anon} kB\nRssShmem:\t       0 kB\nVmData:\t${Math.round(vm * 0.3)} kB\n` +
        'VmStk:\t     132 kB\nVmExe:\t     420 kB\nVmLib:\t   38528 kB\nVmPTE:\t     812 kB\nVmSwap:\t       0 kB\n' +
        'HugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\nThreads:\t12\n' +
        'SigQ:\t0/63254\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n' +
        'SigIgn:\t0000000000001000\nSigCgt:\t0000000100004a02\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n' +
        'CapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n' +
        'Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tthread vulnerable\nSpeculationIndirectBranch:\tconditional enabled\n' +
        'Cpus_allowed:\tff\nCpus_allowed_list:\t0-7\nMems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\n' +
        'voluntary_ctxt_switches:\t1234\nnonvoluntary_ctxt_switches:\t56\n';
}

function smapsRollupText(rssKb: number): string {
    const pss = Math.round(rssKb * 0.6);
    const kb = (k: string, v: number) => `${`${k}:`.padEnd(16)}${String(v).padStart(8)} kB\n`;
    return '55d5c0a1e000-7ffd3b5f9000 ---p 00000000 00:00 0                          [rollup]\n' +
        kb('Rss', rssKb) + kb('Pss', pss) + kb('Pss_Dirty', Math.round(pss * 0.7)) + kb('Pss_Anon', Math.round(pss * 0.7)) +
        kb('Pss_File', pss - Math.round(pss * 0.7)) + kb('Pss_Shmem', 0) + kb('Shared_Clean', rssKb - pss) +
        kb('Shared_Dirty', 0) + kb('Private_Clean', 40) + kb('Private_Dirty', pss - 40) + kb('Referenced', rssKb) +
        kb('Anonymous', Math.round(rssKb * 0.7)) + kb('KSM', 0) + kb('LazyFree', 0) + kb('AnonHugePages', 0) +
        kb('ShmemPmdMapped', 0) + kb('FilePmdMapped', 0) + kb('Shared_Hugetlb', 0) + kb('Private_Hugetlb', 0) +
        kb('Swap', 0) + kb('SwapPss', 0) + kb('Locked', 0);
}

const PROC_TOP = ['buddyinfo', 'cgroups', 'cmdline', 'consoles', 'cpuinfo', 'crypto', 'devices', 'diskstats', 'dma',
    'execdomains', 'filesystems', 'interrupts', 'iomem', 'ioports', 'kallsyms', 'key-users', 'keys', 'kmsg',
    'kpagecgroup', 'kpagecount', 'kpageflags', 'loadavg', 'locks', 'meminfo', 'misc', 'modules', 'mtrr',
    'pagetypeinfo', 'partitions', 'schedstat', 'slabinfo', 'softirqs', 'stat', 'swaps', 'sysrq-trigger',
    'timer_list', 'uptime', 'version', 'vmallocinfo', 'vmstat', 'zoneinfo'];
const PROC_TOP_DIRS = ['acpi', 'bus', 'driver', 'fs', 'irq', 'net', 'pressure', 'sys', 'sysvipc', 'tty'];

/** Writes the tree under `dir` (removed first). */
export function writeTree(dir: string, size: TreeSize, seed = 1): Tree {
    rmSync(dir, { recursive: true, force: true });
    const rand = random(seed);
    const { manager, containers } = buildTree(size.leaves, rand);
    populate(manager, size.processes, rand);
    const cgroupRoot = join(dir, 'cgroup');
    const procRoot = join(dir, 'proc');
    mkdirSync(procRoot, { recursive: true });
    mkdirSync(cgroupRoot, { recursive: true });
    writeFileSync(join(cgroupRoot, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    let files = 1;
    let managerEntries = 0;
    let cgroups = 0;
    let processes = 0;
    let leaves = 0;

    const write = (n: Node, at: string, cgPath: string, ppid: number): void => {
        const here = join(at, n.name);
        mkdirSync(here, { recursive: true });
        cgroups++;
        const leaf = n.children.length === 0;
        const control = controlFiles(n, leaf);
        for (const [name, text] of control) {
            writeFileSync(join(here, name), text);
            files++;
        }
        managerEntries += control.length + n.children.length;
        if (leaf) {
            leaves++;
            const perPidKb = Math.max(1024, Math.round(n.current / 1024 / Math.max(1, n.pids.length)));
            for (const pid of n.pids) {
                const p = join(procRoot, String(pid));
                mkdirSync(p);
                writeFileSync(join(p, 'status'), statusText(n.comm || 'proc', pid, ppid, perPidKb));
                writeFileSync(join(p, 'smaps_rollup'), smapsRollupText(perPidKb));
                writeFileSync(join(p, 'cgroup'), `0::${cgPath}/${n.name}\n`);
                writeFileSync(join(p, 'comm'), `${(n.comm || 'proc').slice(0, 15)}\n`);
                files += 4;
                processes++;
            }
        }
        for (const c of n.children)
            write(c, here, `${cgPath}/${n.name}`, n.pids[0] ?? ppid);
    };
    const parent = join(cgroupRoot, 'user.slice', 'user-1000.slice');
    mkdirSync(parent, { recursive: true });
    write(manager, parent, '/user.slice/user-1000.slice', 1);

    for (const name of PROC_TOP)
        writeFileSync(join(procRoot, name), '');
    for (const name of PROC_TOP_DIRS)
        mkdirSync(join(procRoot, name));
    symlinkSync('1501', join(procRoot, 'self'));
    symlinkSync('1501/task/1501', join(procRoot, 'thread-self'));

    return {
        cgroupRoot, procRoot, slices: SLICES.map(s => `${MANAGER}/${s}`), leaves, cgroups, processes, containers, files,
        managerEntries,
    };
}
