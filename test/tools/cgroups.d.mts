import type { ChildProcess, SpawnOptions } from 'node:child_process';

export const PREFIX: 'headroom-test-';

export interface Pressure {
    some: { avg10: number; avg60: number; avg300: number; total: number };
    full: { avg10: number; avg60: number; avg300: number; total: number };
}

export interface Child {
    /** `headroom-test-<pid>-<name>` */
    readonly name: string;
    readonly v2Path: string;
    /** v1 memory cgroup on the hybrid layout, else null */
    readonly v1MemoryPath: string | null;
    setMemoryLimit(bytes: number): void;
    addPid(pid: number): void;
    /** spawn() with the process already inside the child when it execs `cmd` */
    spawn(cmd: string, args?: string[], options?: SpawnOptions): ChildProcess;
    /** resolve with the parsed cgroup.events once `frozen` reads 1 / 0 */
    freeze(): Promise<Record<string, number>>;
    thaw(): Promise<Record<string, number>>;
    /** cgroup.kill; resolves at `populated 0` */
    kill(): Promise<Record<string, number>>;
    /** kill, wait for `populated 0`, rmdir (v2 and v1); idempotent */
    remove(): Promise<void>;
    removeSync(): void;
    /** a file of the cgroup2 dir (bare name) or any absolute path */
    read(file: string): string;
    pressure(): Pressure;
    events(): Record<string, number>;
    oomKills(): number;
    memoryCurrent(): number;
}

export function findCgroup2Mount(): string | null;
export function findMemoryController(): { version: 1 | 2; mount: string } | null;
export function makeChild(name: string): Child;
export function cleanStale(options?: { all?: boolean }): string[];
export function removeAllSync(): void;
export function parsePressure(text: string): Pressure;
export function parseKeyed(text: string): Record<string, number>;
