// What a cgroup below the user's systemd manager (user@UID.service) is: a desktop app, a rootless podman
// container (or its conmon/runtime helper), part of the session, a background service, or something else.
// Pure string work on the path; one small parser per naming form (see cgroups-apps-containers.md §2–§5).
//
// Decisions:
// * Containers are recognised first, anywhere below the manager: a `libpod-payload-<id>` cgroup (quadlet,
//   `--cgroups=split`), whose unit is its parent (`jellyfin.service`), or a `libpod-<id>.scope` (`podman
//   run`), whose payload is its `container` child when crun made one. Everything at or below the first
//   libpod component belongs to that container.
// * conmon and podman's other helpers are kind 'container-runtime': `libpod-conmon-<id>.scope` (id known) and
//   `<unit>.service/runtime` (id not in the path; the inventory resolves it through the unit). Their memory
//   counts towards the container's row: stopping the container frees it too. They are a few MB.
// * Under app.slice the top-most unit that names an app decides, so everything inside an app slice
//   (`app-org.gnome.Terminal.slice/vte-spawn-….scope`, `app-dbus\x2d…slice/dbus-…@0.service`) counts to
//   that app, and `unit` is that slice or unit: stopping it closes the whole app.
// * A unit under app.slice that follows no app naming form (`syncthing.service`, `foo.scope`, `bar.slice`,
//   `run-p…` from systemd-run) is app-like: kind 'app', appId = the unescaped unit name without its type
//   suffix, launcher 'service' / 'scope' / 'slice' / 'systemd-run'. Such units were started by the user (or
//   for them) and can be stopped like an app.
// * `vte-spawn-….scope` directly in app.slice (a terminal whose own unit is not a slice) cannot be tied to
//   its terminal; all such tabs count to one app-like group, appId 'vte-spawn', launcher 'terminal'.
// * session.slice → 'session', background.slice → 'background' (shown in totals, never offered for
//   closing); init.scope (systemd --user), the slices themselves (app.slice, user.slice) and anything not
//   listed here → 'other'.
// * Names are unescaped (`\xNN`, also GNOME's sign-extended `\xffffffNN`) and otherwise left literal: markup,
//   quotes and shell text come out as they are; the UI shows text literally.

import { unescapeUnitName } from './format.js';

export type Classification =
    | {
        kind: 'app';
        /** Desktop id without `.desktop` (unescaped), D-Bus name, or unit name for app-like units. */
        appId: string;
        /** The app's own unit cgroup below the manager, e.g. app.slice/app-gnome-firefox-4242.scope. */
        unit: string;
        /** gnome, flatpak, … as named in the unit; dbus, autostart, terminal, systemd-run, slice,
         * service, scope for the other forms; '' for `app-<id>-<random>.scope` / `app-<id>.service`. */
        launcher: string;
    }
    | {
        kind: 'container';
        /** 64 lowercase hex digits. */
        containerId: string;
        /** The systemd unit name: jellyfin.service (quadlet) or libpod-<id>.scope (podman run). */
        unit: string;
        /** That unit's cgroup below the manager, e.g. app.slice/jellyfin.service. */
        unitPath: string;
        /** The payload cgroup below the manager: …/libpod-payload-<id> or …/libpod-<id>.scope/container
         * (the scope itself when the path does not reach a `container` child). */
        payload: string;
        style: 'quadlet' | 'run';
    }
    | {
        kind: 'container-runtime';
        /** Known for conmon scopes; null for a quadlet's `runtime` cgroup (resolve through unitPath). */
        containerId: string | null;
        /** The unit cgroup below the manager: the quadlet's service, or the conmon / podman scope. */
        unitPath: string;
    }
    | { kind: 'session' }
    | { kind: 'background' }
    | { kind: 'other' };

export type AppClassification = Extract<Classification, { kind: 'app' }>;

interface AppName {
    appId: string;
    launcher: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

const cache = new Map<string, Classification>();
const CACHE_LIMIT = 4096;

/**
 * Classifies a cgroup given as its path below user@UID.service (a leading '/' is allowed). Pure, so
 * answers are kept: a scan asks again about the same few hundred paths every few seconds. Callers must
 * not change the returned object.
 */
export function classify(pathBelowManager: string): Classification {
    let found = cache.get(pathBelowManager);
    if (found === undefined) {
        found = classifyPath(pathBelowManager);
        if (cache.size >= CACHE_LIMIT)
            cache.clear();
        cache.set(pathBelowManager, found);
    }
    return found;
}

function classifyPath(pathBelowManager: string): Classification {
    const parts = pathBelowManager.split('/').filter(p => p !== '');
    if (parts.length === 0)
        return { kind: 'other' };

    const container = classifyContainer(parts);
    if (container)
        return container;

    switch (parts[0]) {
    case 'session.slice':
        return { kind: 'session' };
    case 'background.slice':
        return { kind: 'background' };
    case 'app.slice':
        return classifyApp(parts);
    case 'user.slice':
        return classifyUserSlice(parts);
    default:
        return { kind: 'other' };
    }
}

// ---- containers ------------------------------------------------------------------------------------

function join(parts: readonly string[], end: number): string {
    return parts.slice(0, end).join('/');
}

/** `libpod-payload-<id>` → id. */
function payloadId(name: string): string | null {
    const prefix = 'libpod-payload-';
    if (!name.startsWith(prefix))
        return null;
    const id = name.slice(prefix.length);
    return HEX64.test(id) ? id : null;
}

/** `libpod-<id>.scope` → id. */
function runScopeId(name: string): string | null {
    const prefix = 'libpod-';
    const suffix = '.scope';
    if (!name.startsWith(prefix) || !name.endsWith(suffix))
        return null;
    const id = name.slice(prefix.length, -suffix.length);
    return HEX64.test(id) ? id : null;
}

/** `libpod-conmon-<id>.scope` → id. */
function conmonScopeId(name: string): string | null {
    const prefix = 'libpod-conmon-';
    const suffix = '.scope';
    if (!name.startsWith(prefix) || !name.endsWith(suffix))
        return null;
    const id = name.slice(prefix.length, -suffix.length);
    return HEX64.test(id) ? id : null;
}

function classifyContainer(parts: readonly string[]): Classification | null {
    for (let i = 0; i < parts.length; i++) {
        const name = parts[i] as string;

        const payload = payloadId(name);
        if (payload !== null) {
            // Quadlet / --cgroups=split: the unit is the parent cgroup (jellyfin.service).
            const unitEnd = i > 0 ? i : 1;
            return {
                kind: 'container',
                containerId: payload,
                unit: parts[unitEnd - 1] as string,
                unitPath: join(parts, unitEnd),
                payload: join(parts, i + 1),
                style: 'quadlet',
            };
        }

        const run = runScopeId(name);
        if (run !== null) {
            const hasContainer = parts[i + 1] === 'container';
            return {
                kind: 'container',
                containerId: run,
                unit: name,
                unitPath: join(parts, i + 1),
                payload: join(parts, hasContainer ? i + 2 : i + 1),
                style: 'run',
            };
        }

        const conmon = conmonScopeId(name);
        if (conmon !== null)
            return { kind: 'container-runtime', containerId: conmon, unitPath: join(parts, i + 1) };

        // The other half of a split quadlet: <unit>.service/runtime holds podman and conmon.
        if (name === 'runtime' && i > 0 && (parts[i - 1] as string).endsWith('.service'))
            return { kind: 'container-runtime', containerId: null, unitPath: join(parts, i) };
    }
    return null;
}

/** Under the manager's user.slice (podman run's default parent): podman's pause process scope. */
function classifyUserSlice(parts: readonly string[]): Classification {
    const unit = parts[1];
    if (unit !== undefined && /^podman-\d+\.scope$/.test(unit))
        return { kind: 'container-runtime', containerId: null, unitPath: join(parts, 2) };
    return { kind: 'other' };
}

// ---- apps --------------------------------------------------------------------------------------------

function classifyApp(parts: readonly string[]): Classification {
    const unitName = parts[1];
    if (unitName === undefined)
        return { kind: 'other' }; // app.slice itself
    const name = parseAppUnit(unitName);
    if (name === null)
        return { kind: 'other' };
    return { kind: 'app', appId: name.appId, unit: join(parts, 2), launcher: name.launcher };
}

/** The app named by one unit directly in app.slice; null for something that is not a unit. */
export function parseAppUnit(unitName: string): AppName | null {
    const dot = unitName.lastIndexOf('.');
    const type = dot > 0 ? unitName.slice(dot + 1) : '';
    const stem = dot > 0 ? unitName.slice(0, dot) : '';
    switch (type) {
    case 'scope':
        return parseAppScope(stem) ?? parseTerminalTab(stem) ?? parseSystemdRun(stem) ?? generic(stem, 'scope');
    case 'service':
        return parseAppService(stem) ?? parseDbusService(stem) ?? parseSystemdRun(stem) ?? generic(stem, 'service');
    case 'slice':
        return parseAppSlice(stem) ?? generic(stem, 'slice');
    default:
        return null;
    }
}

function generic(stem: string, launcher: string): AppName {
    return { appId: unescapeUnitName(stem), launcher };
}

/**
 * `app-<launcher>-<id>-<random>` / `app-<id>-<random>` (scopes: gnome-shell, flatpak, other launchers).
 * The escapers leave no raw '-' in an id, so raw '-' separates the fields; if a launcher did leave one,
 * the id is what lies between the launcher and the last field.
 */
function parseAppScope(stem: string): AppName | null {
    if (!stem.startsWith('app-'))
        return null;
    const fields = stem.slice('app-'.length).split('-');
    if (fields.length < 2 || fields.some(f => f === ''))
        return null;
    if (fields.length === 2)
        return { appId: unescapeUnitName(fields[0] as string), launcher: '' };
    return {
        appId: unescapeUnitName(fields.slice(1, -1).join('-')),
        launcher: unescapeUnitName(fields[0] as string),
    };
}

/** `app-[<launcher>-]<id>` as the prefix of a service or template slice name; null when it is not one. */
function parseAppPrefix(prefix: string): AppName | null {
    if (!prefix.startsWith('app-'))
        return null;
    const fields = prefix.slice('app-'.length).split('-');
    if (fields.some(f => f === ''))
        return null;
    if (fields.length === 1)
        return { appId: unescapeUnitName(fields[0] as string), launcher: '' };
    return {
        appId: unescapeUnitName(fields.slice(1).join('-')),
        launcher: unescapeUnitName(fields[0] as string),
    };
}

/** `app-[<launcher>-]<id>[@<random>]` services, including `app-<id>@autostart`. */
function parseAppService(stem: string): AppName | null {
    const at = stem.indexOf('@');
    const prefix = at >= 0 ? stem.slice(0, at) : stem;
    const instance = at >= 0 ? stem.slice(at + 1) : null;
    const name = parseAppPrefix(prefix);
    if (name === null)
        return null;
    if (name.launcher === '' && instance === 'autostart')
        return { appId: name.appId, launcher: 'autostart' };
    return name;
}

/** `dbus-:1.N-<name>` (D-Bus activation, after unescaping for slices) → name. */
function parseDbusName(unescaped: string): string | null {
    if (!unescaped.startsWith('dbus-:'))
        return null;
    const rest = unescaped.slice('dbus-'.length);
    const dash = rest.indexOf('-');
    if (dash <= 0 || dash === rest.length - 1)
        return null;
    return rest.slice(dash + 1);
}

/** `dbus-:1.N-<name>@<n>` services of dbus-broker's launcher. */
function parseDbusService(stem: string): AppName | null {
    const at = stem.indexOf('@');
    const name = parseDbusName(at >= 0 ? stem.slice(0, at) : stem);
    return name === null ? null : { appId: unescapeUnitName(name), launcher: 'dbus' };
}

/**
 * `app-<escaped>.slice`: a D-Bus activation slice (`app-dbus\x2d:1.N\x2d<name>`), the per-template slice
 * of `app-…@….service` units (`app-app\x2d<launcher>\x2d<id>`), or an app's own slice
 * (`app-org.gnome.Terminal`). The whole remainder was escaped with unit_name_escape, so it is unescaped
 * once before looking inside.
 */
function parseAppSlice(stem: string): AppName | null {
    if (!stem.startsWith('app-') || stem.length === 'app-'.length)
        return null;
    const inner = unescapeUnitName(stem.slice('app-'.length));
    const dbus = parseDbusName(inner);
    if (dbus !== null)
        return { appId: unescapeUnitName(dbus), launcher: 'dbus' };
    const template = parseAppPrefix(inner);
    if (template !== null)
        return template;
    return { appId: inner, launcher: 'slice' };
}

/** `vte-spawn-<uuid>` directly in app.slice: a terminal tab whose terminal is not known. */
function parseTerminalTab(stem: string): AppName | null {
    return stem.startsWith('vte-spawn-') ? { appId: 'vte-spawn', launcher: 'terminal' } : null;
}

/** `run-p<PID>-i<id>` (v257), `run-r<hex>`, `run-u<N>` (older) from systemd-run: each run is its own unit. */
function parseSystemdRun(stem: string): AppName | null {
    return /^run-(?:p\d+-i\d+|r[0-9a-f]+|u\d+)$/.test(stem) ? { appId: stem, launcher: 'systemd-run' } : null;
}
