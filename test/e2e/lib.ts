// Helpers for Headroom's end-to-end tests against a real headless GNOME Shell (see README.md).
// Node side only: drives test/e2e/shell.sh (root, private mount+PID namespace, rootfs from rootfs.sh).
import {spawnSync} from 'node:child_process';
import {chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

export const E2E_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(E2E_DIR, '..', '..');
export const SHELL_SH = join(E2E_DIR, 'shell.sh');
/** Debian suite of the rootfs the session runs in (trixie: GNOME Shell 48, sid: 51); see rootfs.sh. */
export const SUITE = process.env.HEADROOM_E2E_SUITE ?? 'trixie';
/** Screenshots of each suite in their own folder: test/e2e/screenshots/<suite>/. */
export const SCREENSHOT_DIR = join(E2E_DIR, 'screenshots', SUITE);
export const HEADROOM_UUID = 'headroom@headroom.github.io';
export const HEADROOM_ZIP = process.env.HEADROOM_E2E_ZIP ??
    join(REPO_ROOT, 'dist', `${HEADROOM_UUID}.shell-extension.zip`);

export interface Paths {
    /** rootfs on the host */
    root: string;
    /** host folder bind-mounted into the session */
    share: string;
    /** where `share` appears inside the session */
    shareInside: string;
    /** gnome-shell's stdout+stderr */
    log: string;
    stateDir: string;
    /** host folder that is /home/tester in the session (in the rootfs unless HEADROOM_E2E_SESSION names one) */
    home: string;
}

export interface RunResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** shell.sh with `args`; `session` names the session (HEADROOM_E2E_SESSION) when not the environment's. */
function run(args: string[], timeoutMs = 60_000, session?: string): RunResult {
    const env = session === undefined ? process.env : {...process.env, HEADROOM_E2E_SESSION: session};
    const r = spawnSync('bash', [SHELL_SH, ...args], {encoding: 'utf8', timeout: timeoutMs, env});
    if (r.error)
        throw r.error;
    return {status: r.status, stdout: r.stdout, stderr: r.stderr};
}

export const sleep = (ms: number): Promise<void> => new Promise(res => setTimeout(res, ms));

/** Thrown from a waitFor callback to stop polling at once (e.g. the extension went to ERROR). */
export class WaitAbort extends Error {}

/** Poll `fn` until it returns a value that is not undefined/false, or throw after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 5000,
    intervalMs = 100): Promise<T> {
    const end = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = fn();
            if (v !== undefined && v !== false)
                return v;
            last = v;
        } catch (e) {
            if (e instanceof WaitAbort)
                throw e;
            last = e;
        }
        if (Date.now() > end)
            throw new Error(`timeout after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
        await sleep(intervalMs);
    }
}

/**
 * Parse a GVariant text-format string literal as printed by g_variant_print (gdbus call):
 * 'single' or "double" quoted, backslash escapes incl. \uXXXX and \UXXXXXXXX.
 * Returns the value and the index after the closing quote.
 */
export function parseGVariantString(s: string, start: number): [string, number] {
    const q = s[start];
    if (q !== '\'' && q !== '"')
        throw new Error(`expected a GVariant string at ${start} in ${s.slice(0, 200)}`);
    let out = '';
    let i = start + 1;
    const simple: Record<string, string> = {
        a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
    };
    while (i < s.length) {
        const c = s.charAt(i);
        if (c === q)
            return [out, i + 1];
        if (c === '\\') {
            const e = s.charAt(i + 1);
            if (e === 'u' || e === 'U') {
                const n = e === 'u' ? 4 : 8;
                out += String.fromCodePoint(parseInt(s.slice(i + 2, i + 2 + n), 16));
                i += 2 + n;
                continue;
            }
            out += simple[e] ?? e;
            i += 2;
            continue;
        }
        out += c;
        i++;
    }
    throw new Error('unterminated GVariant string');
}

export class GnomeShellSession {
    readonly paths: Paths;
    private running = false;
    private readonly onExit = (): void => {
        if (this.running)
            run(['stop'], undefined, this.session);
    };

    /**
     * `session`: a named session of its own (state folder and home, see shell.sh), so that several run
     * side by side from one process; by default HEADROOM_E2E_SESSION, or the suite's session.
     */
    constructor(private readonly session?: string) {
        const r = run(['paths'], undefined, session);
        if (r.status !== 0)
            throw new Error(`shell.sh paths failed: ${r.stderr}`);
        this.paths = JSON.parse(r.stdout) as Paths;
    }

    /** Host path of a path inside the shared folder. */
    hostPath(...parts: string[]): string {
        return join(this.paths.share, ...parts);
    }

    /** Session path (inside the rootfs) of a path inside the shared folder. */
    sessionPath(...parts: string[]): string {
        return [this.paths.shareInside, ...parts].join('/');
    }

    /**
     * Start a fresh session. `install`: zips installed with `gnome-extensions install --force`
     * (as uid 1000, in the session) before gnome-shell starts. `settings`: keyfile fragment
     * appended to ~/.config/glib-2.0/settings/keyfile. `systemPolicies`: host paths of D-Bus policy
     * files for the session's system bus (its /etc/dbus-1/system.d, for this session only).
     */
    start(opts: {install?: string[]; enable?: string[]; settings?: string; systemPolicies?: string[]} = {}): void {
        const args = ['start'];
        for (const z of opts.install ?? [])
            args.push('--install', z);
        for (const u of opts.enable ?? [])
            args.push('--enable', u);
        for (const f of opts.systemPolicies ?? [])
            args.push('--system-policy', f);
        if (opts.settings !== undefined) {
            mkdirSync(this.paths.stateDir, {recursive: true});
            const f = join(this.paths.stateDir, 'settings.keyfile');
            writeFileSync(f, opts.settings);
            args.push('--settings', f);
        }
        process.on('exit', this.onExit);
        this.running = true;
        const r = run(args, 120_000, this.session);
        if (r.status !== 0) {
            this.stop();
            throw new Error(`shell.sh start failed (${r.status}):\n${r.stderr}`);
        }
    }

    stop(): void {
        run(['stop'], undefined, this.session);
        this.running = false;
        process.off('exit', this.onExit);
    }

    /** Run a command inside the session as uid 1000. */
    exec(cmd: string[], timeoutMs = 30_000): RunResult {
        return run(['exec', ...cmd], timeoutMs, this.session);
    }

    execOk(cmd: string[], timeoutMs = 30_000): string {
        const r = this.exec(cmd, timeoutMs);
        if (r.status !== 0)
            throw new Error(`'${cmd.join(' ')}' failed (${r.status}): ${r.stderr}${r.stdout}`);
        return r.stdout;
    }

    /**
     * Evaluate JS in gnome-shell through the harness extension. A promise is awaited; the result
     * is JSON-parsed (undefined for no value). Throws with the JS error and stack on failure.
     */
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- caller states the JSON shape
    eval<T = unknown>(js: string, timeoutMs = 30_000): T {
        const r = run(['eval', js], timeoutMs, this.session);
        if (r.status !== 0)
            throw new Error(`Eval call failed (${r.status}): ${r.stderr}`);
        const out = r.stdout.trim();
        const m = /^\((true|false), /.exec(out);
        if (!m)
            throw new Error(`unexpected Eval reply: ${out}`);
        const [text] = parseGVariantString(out, m[0].length);
        if (m[1] !== 'true')
            throw new Error(`Eval threw: ${text}`);
        return (text === '' ? undefined : JSON.parse(text)) as T;
    }

    /** `gsettings set`; pass `schemaDir` for an extension's schema (see extensionSchemaDir). */
    gsettingsSet(schema: string, key: string, value: string, schemaDir?: string): void {
        const dir = schemaDir !== undefined ? ['--schemadir', schemaDir] : [];
        this.execOk(['gsettings', ...dir, 'set', schema, key, value]);
    }

    gsettingsGet(schema: string, key: string, schemaDir?: string): string {
        const dir = schemaDir !== undefined ? ['--schemadir', schemaDir] : [];
        return this.execOk(['gsettings', ...dir, 'get', schema, key]).trim();
    }

    /** Compiled schemas of a user-installed extension (gnome-extensions install compiles them). */
    extensionSchemaDir(uuid: string): string {
        return `/home/tester/.local/share/gnome-shell/extensions/${uuid}/schemas`;
    }

    /** org.gnome.Shell.Extensions.EnableExtension / DisableExtension over D-Bus (on the shell itself). */
    setExtensionEnabled(uuid: string, enabled: boolean): void {
        const out = this.execOk(['gdbus', 'call', '--session', '--dest', 'org.gnome.Shell',
            '--object-path', '/org/gnome/Shell', '--method',
            `org.gnome.Shell.Extensions.${enabled ? 'Enable' : 'Disable'}Extension`, uuid]).trim();
        if (out !== '(true,)')
            throw new Error(`${enabled ? 'Enable' : 'Disable'}Extension(${uuid}) returned ${out}`);
    }

    /** org.gnome.Shell.Extensions.GetExtensionInfo over D-Bus: state and error of an extension. */
    extensionInfo(uuid: string): {state: number; error: string; raw: string} {
        const raw = this.execOk(['gdbus', 'call', '--session', '--dest', 'org.gnome.Shell',
            '--object-path', '/org/gnome/Shell', '--method',
            'org.gnome.Shell.Extensions.GetExtensionInfo', uuid]).trim();
        const sm = /'state': <([\d.]+)>/.exec(raw);
        const em = /'error': <(?=['"])/.exec(raw);
        return {
            state: sm ? Number(sm[1]) : NaN,
            error: em ? parseGVariantString(raw, em.index + em[0].length)[0] : '',
            raw,
        };
    }

    /**
     * Wait for ACTIVE (1); fail early on ERROR (3) with an error text / OUT_OF_DATE (4). The shell sets
     * ERROR with an empty error while it loads an extension (loadExtension: "Default to error, we set
     * success as the last step"); GNOME 51 stays there long enough to be seen: keep polling then.
     */
    async waitForExtensionActive(uuid: string, timeoutMs = 5000): Promise<void> {
        await waitFor(`${uuid} ACTIVE`, () => {
            const info = this.extensionInfo(uuid);
            if ((info.state === 3 && info.error !== '') || info.state === 4)
                throw new WaitAbort(`${uuid} state ${info.state}: ${info.error}`);
            return info.state === 1;
        }, timeoutMs).catch((e: unknown) => {
            const info = this.extensionInfo(uuid);
            throw new Error(`${String(e)}; info: ${info.raw}`);
        });
    }

    /** Save a PNG of a stage area (default: the top bar) to a host path. */
    screenshot(hostFile: string, area?: {x: number; y: number; w: number; h: number}): void {
        const name = `.shot-${process.pid}-${Date.now()}.png`;
        const inside = this.sessionPath(name);
        const a = area ?? this.eval<{x: number; y: number; w: number; h: number}>(
            `(() => { const p = Main.panel; const [x, y] = p.get_transformed_position();
              const [w, h] = p.get_transformed_size(); return {x, y, w, h}; })()`);
        this.eval(`screenshot(${JSON.stringify(inside)}, ${Math.round(a.x)}, ${Math.round(a.y)}, ` +
            `${Math.round(a.w)}, ${Math.round(a.h)})`);
        mkdirSync(dirname(hostFile), {recursive: true});
        writeFileSync(hostFile, readFileSync(this.hostPath(name)));
        rmSync(this.hostPath(name), {force: true});
    }
}

// ---- cgroup fixture ------------------------------------------------------------------------

export interface Psi {
    some: number;
    full: number;
}

export const SLICES = ['app.slice', 'session.slice', 'background.slice'] as const;
export type Slice = typeof SLICES[number];

export function psiText(p: Psi, total = 0): string {
    const f = (v: number): string => v.toFixed(2);
    return `some avg10=${f(p.some)} avg60=${f(p.some)} avg300=${f(p.some)} total=${total}\n` +
        `full avg10=${f(p.full)} avg60=${f(p.full)} avg300=${f(p.full)} total=${total}\n`;
}

/** A fake cgroup v2 tree as Headroom reads it, rooted at `root` (a host path). */
export class CgroupFixture {
    constructor(readonly root: string) {}

    sliceDir(slice: Slice): string {
        return join(this.root, 'user.slice', 'user-1000.slice', 'user@1000.service', slice);
    }

    create(): void {
        rmSync(this.root, {recursive: true, force: true});
        const MiB = 1024 * 1024;
        const sizes: Record<Slice, number> = {
            'app.slice': 1200 * MiB, 'session.slice': 300 * MiB, 'background.slice': 100 * MiB,
        };
        for (const s of SLICES) {
            const d = this.sliceDir(s);
            mkdirSync(d, {recursive: true});
            const anon = Math.round(sizes[s] * 0.7);
            const file = sizes[s] - anon;
            writeFileSync(join(d, 'memory.stat'),
                `anon ${anon}\nfile ${file}\nkernel 0\nshmem 0\npgscan 0\npgsteal 0\n`);
            writeFileSync(join(d, 'memory.events'),
                'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n');
            writeFileSync(join(d, 'memory.current'), `${sizes[s]}\n`);
            writeFileSync(join(d, 'memory.swap.current'), '0\n');
            writeFileSync(join(d, 'memory.high'), 'max\n');
            writeFileSync(join(d, 'memory.max'), 'max\n');
            writeFileSync(join(d, 'memory.low'), '0\n');
            writeFileSync(join(d, 'memory.min'), '0\n');
            writeFileSync(join(d, 'cgroup.procs'), '');
            writeFileSync(join(d, 'memory.pressure'), psiText({some: 0, full: 0}));
        }
        chmodTree(this.root);
    }

    /** Rewrite one slice's memory.pressure in place (the shell reads it live). */
    setPressure(slice: Slice, p: Psi): void {
        writeFileSync(join(this.sliceDir(slice), 'memory.pressure'), psiText(p));
    }
}

function chmodTree(dir: string): void {
    // Readable by uid 1000 inside the session (umask may be strict on CI).
    spawnSync('chmod', ['-R', 'a+rX', dir]);
    chmodSync(dir, 0o755);
}

/** Lines of the shell log that indicate errors: JS ERROR, CRITICAL, or warnings naming headroom. */
export function logErrors(log: string): string[] {
    return log.split('\n').filter(l =>
        /JS ERROR|CRITICAL|JS WARNING/.test(l) ||
        (/headroom/i.test(l) && /error|warning|exception|stack|failed/i.test(l) &&
            !l.startsWith('headroom-e2e: ')));
}
