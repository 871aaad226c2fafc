import type { Child } from './cgroups.mjs';

export type Engine = 'perl' | 'python3';

export interface PressureOptions {
    cgroup: Child;
    /** default max(8, 4·nCPU) */
    workers?: number;
    /** default /var/tmp; must not be tmpfs/ramfs */
    fileDir?: string;
    /** file size = limit + extraMiB (default 64) */
    extraMiB?: number;
    /** memory limit set on the cgroup, default 32 + 8·workers */
    limitMiB?: number;
    engine?: Engine;
}

export interface PressureHandle {
    readonly engine: Engine;
    readonly limitBytes: number;
    readonly fileBytes: number;
    readonly pids: number[];
    /** SIGKILL the workers and wait for them */
    stop(): Promise<void>;
}

export function pickEngine(): Engine | null;
export function startPressure(options: PressureOptions): Promise<PressureHandle>;
