import assert from 'node:assert/strict';
import fc from 'fast-check';

import { classify, type Classification } from '../../src/core/classify.js';

// On disk, unit names contain literal backslashes: 'google\\x2dchrome' here is `google\x2dchrome` there.
const JELLY = '3f9c2d8e5b7a4c1f9e0d6b3a8c5f2e7d1a4b9c6e3f0d8a5b2c7e4f1a9d6be41a';
const IMMICH = '8b21f4c7a9e3d6b0c5f8a2e7d4b1c9f6a3e0d7b4c1f8a5e2d9b6c3f0a7e407cd';

/** GNOME's escaper (gnome-desktop, flatpak): keeps [A-Za-z0-9:_.], every other byte becomes \xNN. */
function gnomeEscape(id: string): string {
    return [...new TextEncoder().encode(id)].map(b => {
        const c = String.fromCharCode(b);
        return /[A-Za-z0-9:_.]/.test(c) ? c : `\\x${b.toString(16).padStart(2, '0')}`;
    }).join('');
}

/** systemd's unit_name_escape: valid chars stay, except '-' and '\\'; '/' becomes '-'; a leading '.' is escaped. */
function systemdEscape(s: string): string {
    return [...new TextEncoder().encode(s)].map((b, i) => {
        const c = String.fromCharCode(b);
        if (c === '/')
            return '-';
        if (/[A-Za-z0-9:_.]/.test(c) && !(i === 0 && c === '.'))
            return c;
        return `\\x${b.toString(16).padStart(2, '0')}`;
    }).join('');
}

function app(appId: string, unit: string, launcher: string): Classification {
    return { kind: 'app', appId, unit, launcher };
}

describe('classify: desktop apps', () => {
    it('gnome-shell scopes: app-gnome-<id>-<pid>.scope', () => {
        assert.deepEqual(classify('app.slice/app-gnome-firefox-4242.scope'),
            app('firefox', 'app.slice/app-gnome-firefox-4242.scope', 'gnome'));
        assert.deepEqual(classify('app.slice/app-gnome-org.gnome.Evolution-5120.scope'),
            app('org.gnome.Evolution', 'app.slice/app-gnome-org.gnome.Evolution-5120.scope', 'gnome'));
    });

    it('accepts a leading slash and keeps the unit path without it', () => {
        assert.deepEqual(classify('/app.slice/app-gnome-firefox-4242.scope'),
            app('firefox', 'app.slice/app-gnome-firefox-4242.scope', 'gnome'));
    });

    it('unescapes \\x2d in desktop ids (google-chrome.desktop)', () => {
        const c = classify('app.slice/app-gnome-google\\x2dchrome-12345.scope');
        assert.equal(c.kind === 'app' && c.appId, 'google-chrome');
    });

    it('flatpak scopes: app-flatpak-<id>-<pid>.scope', () => {
        assert.deepEqual(classify('app.slice/app-flatpak-org.mozilla.firefox-4242.scope'),
            app('org.mozilla.firefox', 'app.slice/app-flatpak-org.mozilla.firefox-4242.scope', 'flatpak'));
        const c = classify('app.slice/app-flatpak-org.example.my\\x2dapp-77.scope');
        assert.equal(c.kind === 'app' && c.appId, 'org.example.my-app');
    });

    it('scopes of other launchers and without a launcher', () => {
        const kde = classify('app.slice/app-KDE-org.kde.dolphin-a1b2c3.scope');
        assert.equal(kde.kind === 'app' && `${kde.launcher}|${kde.appId}`, 'KDE|org.kde.dolphin');
        const bare = classify('app.slice/app-org.kde.konsole-4711.scope');
        assert.equal(bare.kind === 'app' && `${bare.launcher}|${bare.appId}`, '|org.kde.konsole');
    });

    it('a launcher that left a raw "-" in the id still yields the whole id', () => {
        const c = classify('app.slice/app-gnome-google-chrome-12345.scope');
        assert.equal(c.kind === 'app' && c.appId, 'google-chrome');
    });

    it('services: app-<launcher>-<id>@<random>.service and app-<id>.service', () => {
        assert.deepEqual(classify('app.slice/app-gnome-org.gnome.Maps@3f2e1d.service'),
            app('org.gnome.Maps', 'app.slice/app-gnome-org.gnome.Maps@3f2e1d.service', 'gnome'));
        const bare = classify('app.slice/app-org.gnome.Weather.service');
        assert.equal(bare.kind === 'app' && `${bare.launcher}|${bare.appId}`, '|org.gnome.Weather');
    });

    it('XDG autostart: app-<id>@autostart.service, systemd-escaped', () => {
        assert.deepEqual(classify('app.slice/app-org.gnome.Evolution\\x2dalarm\\x2dnotify@autostart.service'),
            app('org.gnome.Evolution-alarm-notify',
                'app.slice/app-org.gnome.Evolution\\x2dalarm\\x2dnotify@autostart.service', 'autostart'));
    });

    it('autostart units in their per-template slice count to the same app, unit = the slice', () => {
        const slice = `app-${systemdEscape('app-org.gnome.Foo')}.slice`;
        assert.equal(slice, 'app-app\\x2dorg.gnome.Foo.slice');
        const c = classify(`app.slice/${slice}/app-org.gnome.Foo@autostart.service`);
        assert.equal(c.kind === 'app' && `${c.appId}|${c.unit}`, `org.gnome.Foo|app.slice/${slice}`);
        // An escaped id inside a template slice is escaped twice; both layers come off.
        const twice = `app-${systemdEscape('app-gnome-org.foo\\x2dbar')}.slice`;
        assert.equal(twice, 'app-app\\x2dgnome\\x2dorg.foo\\x5cx2dbar.slice');
        const t = classify(`app.slice/${twice}`);
        assert.equal(t.kind === 'app' && `${t.launcher}|${t.appId}`, 'gnome|org.foo-bar');
    });

    it('D-Bus activation: the app-dbus slice and its service both name the bus name, unit = the slice', () => {
        const slice = 'app.slice/app-dbus\\x2d:1.2\\x2dorg.gnome.Nautilus.slice';
        const expected = app('org.gnome.Nautilus', slice, 'dbus');
        assert.deepEqual(classify(`${slice}/dbus-:1.2-org.gnome.Nautilus@0.service`), expected);
        assert.deepEqual(classify(slice), expected);
    });

    it('D-Bus activated service directly in app.slice', () => {
        assert.deepEqual(classify('app.slice/dbus-:1.15-org.gnome.Calendar@0.service'),
            app('org.gnome.Calendar', 'app.slice/dbus-:1.15-org.gnome.Calendar@0.service', 'dbus'));
    });

    it('terminal tabs count to their terminal app (the app slice they live in)', () => {
        const slice = 'app.slice/app-org.gnome.Terminal.slice';
        const expected = app('org.gnome.Terminal', slice, 'slice');
        assert.deepEqual(classify(`${slice}/vte-spawn-2c7f3a1e-5b0d-4e8a-9f61-0d3c2b7a9e14.scope`), expected);
        assert.deepEqual(classify(`${slice}/gnome-terminal-server.service`), expected);
        assert.deepEqual(classify(slice), expected);
    });

    it('tabs whose terminal is unknown (directly in app.slice) are one app-like group', () => {
        assert.deepEqual(classify('app.slice/vte-spawn-9a4e61d0-7c2b-4f3e-8d15-6b0a1c9e2f73.scope'),
            app('vte-spawn', 'app.slice/vte-spawn-9a4e61d0-7c2b-4f3e-8d15-6b0a1c9e2f73.scope', 'terminal'));
    });

    it('systemd-run units: each is its own app-like unit', () => {
        for (const u of ['run-p1234-i5678.scope', 'run-r0123456789abcdef0123456789abcdef.service', 'run-u42.service']) {
            const c = classify(`app.slice/${u}`);
            assert.deepEqual(c, app(u.replace(/\.(scope|service)$/, ''), `app.slice/${u}`, 'systemd-run'));
        }
    });

    it('generic units in app.slice are app-like: appId = unescaped unit name without its type', () => {
        assert.deepEqual(classify('app.slice/syncthing.service'), app('syncthing', 'app.slice/syncthing.service', 'service'));
        assert.deepEqual(classify('app.slice/my\\x2dtool.scope'), app('my-tool', 'app.slice/my\\x2dtool.scope', 'scope'));
        assert.deepEqual(classify('app.slice/tools.slice/x.service'), app('tools', 'app.slice/tools.slice', 'slice'));
        assert.deepEqual(classify('app.slice/runner.service'), app('runner', 'app.slice/runner.service', 'service'));
    });

    it('a sub-cgroup of an app unit belongs to that unit', () => {
        assert.deepEqual(classify('app.slice/app-gnome-firefox-4242.scope/sub/deeper'),
            app('firefox', 'app.slice/app-gnome-firefox-4242.scope', 'gnome'));
    });

    it('app.slice itself, and a child that is not a unit, are "other"', () => {
        assert.deepEqual(classify('app.slice'), { kind: 'other' });
        assert.deepEqual(classify('app.slice/not-a-unit'), { kind: 'other' });
        assert.deepEqual(classify('app.slice/.scope'), { kind: 'other' });
    });

    it('malformed app names fall back to the generic form instead of failing', () => {
        assert.deepEqual(classify('app.slice/app-gnome--1.scope'), app('app-gnome--1', 'app.slice/app-gnome--1.scope', 'scope'));
        assert.deepEqual(classify('app.slice/app-.slice'), app('app-', 'app.slice/app-.slice', 'slice'));
        assert.deepEqual(classify('app.slice/app-.scope'), app('app-', 'app.slice/app-.scope', 'scope'));
    });
});

describe('classify: containers', () => {
    it('quadlet payload: <name>.service/libpod-payload-<id>', () => {
        assert.deepEqual(classify(`app.slice/jellyfin.service/libpod-payload-${JELLY}`), {
            kind: 'container', containerId: JELLY, unit: 'jellyfin.service', unitPath: 'app.slice/jellyfin.service',
            payload: `app.slice/jellyfin.service/libpod-payload-${JELLY}`, style: 'quadlet',
        });
    });

    it('cgroups below the payload belong to it', () => {
        const c = classify(`app.slice/jellyfin.service/libpod-payload-${JELLY}/init.scope`);
        assert.equal(c.kind === 'container' && c.payload, `app.slice/jellyfin.service/libpod-payload-${JELLY}`);
    });

    it('the quadlet runtime leaf is container-runtime; its id comes from the unit', () => {
        assert.deepEqual(classify('app.slice/jellyfin.service/runtime'),
            { kind: 'container-runtime', containerId: null, unitPath: 'app.slice/jellyfin.service' });
    });

    it('the quadlet service cgroup alone looks like a plain service (the inventory resolves it)', () => {
        assert.deepEqual(classify('app.slice/jellyfin.service'), app('jellyfin', 'app.slice/jellyfin.service', 'service'));
    });

    it('podman run: user.slice/libpod-<id>.scope/container', () => {
        assert.deepEqual(classify(`user.slice/libpod-${IMMICH}.scope/container`), {
            kind: 'container', containerId: IMMICH, unit: `libpod-${IMMICH}.scope`, unitPath: `user.slice/libpod-${IMMICH}.scope`,
            payload: `user.slice/libpod-${IMMICH}.scope/container`, style: 'run',
        });
        const scope = classify(`user.slice/libpod-${IMMICH}.scope`);
        assert.equal(scope.kind === 'container' && scope.payload, `user.slice/libpod-${IMMICH}.scope`);
    });

    it('conmon scopes and podman\'s pause scope are container-runtime', () => {
        assert.deepEqual(classify(`user.slice/libpod-conmon-${IMMICH}.scope`),
            { kind: 'container-runtime', containerId: IMMICH, unitPath: `user.slice/libpod-conmon-${IMMICH}.scope` });
        assert.deepEqual(classify('user.slice/podman-2876.scope'),
            { kind: 'container-runtime', containerId: null, unitPath: 'user.slice/podman-2876.scope' });
    });

    it('ids that are not 64 lowercase hex digits are not containers', () => {
        assert.equal(classify(`user.slice/libpod-${IMMICH.slice(1)}.scope`).kind, 'other');
        assert.equal(classify(`user.slice/libpod-${IMMICH.toUpperCase()}.scope`).kind, 'other');
        assert.equal(classify(`app.slice/x.service/libpod-payload-${JELLY}0`).kind, 'app');
        assert.equal(classify('user.slice/libpod-conmon-xyz.scope').kind, 'other');
    });

    it('a container is recognised in any slice', () => {
        const c = classify(`app.slice/app-media.slice/jellyfin.service/libpod-payload-${JELLY}`);
        assert.equal(c.kind === 'container' && c.unitPath, 'app.slice/app-media.slice/jellyfin.service');
        assert.equal(classify(`background.slice/backup.service/libpod-payload-${JELLY}`).kind, 'container');
    });
});

describe('classify: session, background, other', () => {
    it('session.slice and everything in it is the session', () => {
        assert.deepEqual(classify('session.slice/org.gnome.Shell@wayland.service'), { kind: 'session' });
        assert.deepEqual(classify('session.slice'), { kind: 'session' });
        assert.deepEqual(classify('session.slice/pipewire.service'), { kind: 'session' });
    });

    it('background.slice is background', () => {
        assert.deepEqual(classify('background.slice/localsearch-3.service'), { kind: 'background' });
        assert.deepEqual(classify('background.slice'), { kind: 'background' });
    });

    it('init.scope, the manager, user.slice and unknown slices are other', () => {
        for (const p of ['init.scope', '', '/', 'user.slice', 'user.slice/foo.service', 'custom.slice/x.service'])
            assert.deepEqual(classify(p), { kind: 'other' }, p);
    });
});

describe('classify: escaping', () => {
    it('non-ASCII: \\xc3\\xa9, upper-case hex, and gnome-desktop\'s sign-extended \\xffffffNN', () => {
        for (const esc of ['caf\\xc3\\xa9', 'caf\\xC3\\xA9', 'caf\\xffffffc3\\xffffffa9']) {
            const c = classify(`app.slice/app-gnome-${esc}-4.scope`);
            assert.equal(c.kind === 'app' && c.appId, 'café', esc);
        }
        const euro = classify('app.slice/app-gnome-\\xffffffe2\\xffffff82\\xffffffac-5.scope');
        assert.equal(euro.kind === 'app' && euro.appId, '€');
    });

    it('an escaped "/" (\\x2f) stays inside the name', () => {
        const c = classify('app.slice/app-gnome-a\\x2fb-1.scope');
        assert.equal(c.kind === 'app' && `${c.appId}|${c.unit}`, 'a/b|app.slice/app-gnome-a\\x2fb-1.scope');
    });

    it('broken escapes and invalid UTF-8 do not throw; what cannot be decoded stays visible', () => {
        const lone = classify('app.slice/app-gnome-a\\xZZb-1.scope');
        assert.equal(lone.kind === 'app' && lone.appId, 'a\\xZZb');
        const invalid = classify('app.slice/app-gnome-\\xff\\xfe-1.scope');
        assert.equal(invalid.kind === 'app' && invalid.appId, '\uFFFD\uFFFD');
    });

    it('round trip: any id escaped as GNOME does comes back unchanged', () => {
        fc.assert(fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.nat(99999), (id, pid) => {
            const c = classify(`app.slice/app-gnome-${gnomeEscape(id)}-${pid}.scope`);
            return c.kind === 'app' && c.appId === id && c.launcher === 'gnome';
        }));
    });

    it('round trip: any id escaped as systemd does (autostart) comes back unchanged', () => {
        const noSlash = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter(s => !s.includes('/'));
        fc.assert(fc.property(noSlash, id => {
            const c = classify(`app.slice/app-${systemdEscape(id)}@autostart.service`);
            return c.kind === 'app' && c.appId === id && c.launcher === 'autostart';
        }));
    });

    it('never throws on arbitrary paths', () => {
        const kinds = new Set(['app', 'container', 'container-runtime', 'session', 'background', 'other']);
        fc.assert(fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 6 }), parts =>
            kinds.has(classify(parts.join('/')).kind)));
    });
});

describe('classify: hostile names come out literally', () => {
    const cases: [string, string][] = [
        ['<b>Bold</b>', '\\x3cb\\x3eBold\\x3c\\x2fb\\x3e'],
        ['$(rm -rf ~)', '\\x24\\x28rm\\x20\\x2drf\\x20\\x7e\\x29'],
        ['it\'s "quoted"', 'it\\x27s\\x20\\x22quoted\\x22'],
        ['<span foreground="red">&amp;</span>', gnomeEscape('<span foreground="red">&amp;</span>')],
    ];
    for (const [id, escaped] of cases) {
        it(JSON.stringify(id), () => {
            assert.equal(gnomeEscape(id), escaped);
            const c = classify(`app.slice/app-gnome-${escaped}-1.scope`);
            assert.equal(c.kind === 'app' && c.appId, id);
            const f = classify(`app.slice/app-flatpak-${escaped}-2.scope`);
            assert.equal(f.kind === 'app' && f.appId, id);
        });
    }

    it('a 300-character id (longer than a cgroup name may be) still classifies', () => {
        const id = `org.example.${'x'.repeat(288)}`;
        assert.equal(id.length, 300);
        const c = classify(`app.slice/app-gnome-${id}-1.scope`);
        assert.equal(c.kind === 'app' && c.appId, id);
        const d = classify(`app.slice/app-dbus\\x2d:1.9\\x2d${id}.slice/dbus-:1.9-${id}@0.service`);
        assert.equal(d.kind === 'app' && d.appId, id);
    });
});
