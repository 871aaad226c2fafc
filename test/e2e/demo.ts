// `make demo`: a throwaway headless GNOME Shell with the packed Headroom, replaying the seed incident
// (app.slice's full stall climbing to 92 %, Jellyfin transcoding at 2.5 GB beside ~13 GB of desktop apps,
// systemd-oomd stopping Jellyfin), with screenshots of each state in a folder it prints at the end.
//
//   sudo make demo [DEMO_DIR=folder]         (or: npx tsx test/e2e/demo.ts [folder])
//
// Needs root and the e2e rootfs (test/e2e/rootfs.sh), like the e2e tests. The session is named
// HEADROOM_E2E_SESSION (default headroom-demo): it has its own home and state folder and runs beside
// an e2e session without disturbing it. Reuses the helpers of notify.e2e.ts.
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join, relative, resolve} from 'node:path';

import {FakePodman, FixtureCopy, fixtureSettings, menuStateJs, type MenuState} from './inventory-helpers.js';
import {GnomeShellSession, HEADROOM_UUID, HEADROOM_ZIP, REPO_ROOT, logErrors, sleep, waitFor} from './lib.js';
import {
    BANNER_JS, CURRENT_JS, FakeOomd, Pump, RECORDER_JS, SEEN_JS, URGENCY, bannerArea, managerDir, seedIncidentPlan,
    seedOomdDump, type Banner, type SeenNotification,
} from './notify-helpers.js';

// Read by shell.sh at each call: a session of its own, beside any e2e session.
process.env.HEADROOM_E2E_SESSION ??= 'headroom-demo';

const LEVELS = ['ok', 'amber', 'red', 'unknown'] as const;
type Level = typeof LEVELS[number];
interface Bar {
    level: Level | null;
    label: string;
}

const outDir = resolve(process.argv[2] ?? join(REPO_ROOT, 'demo'));
const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (text: string): void => console.error(`demo [${elapsed()}] ${text}`);

if (process.getuid?.() !== 0) {
    console.error('make demo: needs root (mount and PID namespaces, chroot), like make test-e2e; try sudo make demo');
    process.exit(1);
}
if (!existsSync(HEADROOM_ZIP)) {
    console.error(`make demo: ${HEADROOM_ZIP} missing: run make pack`);
    process.exit(1);
}

const shell = new GnomeShellSession();
const seed = new FixtureCopy(shell, 'seed');
const podman = new FakePodman(shell);
const oomd = new FakeOomd(shell);
const uuid = JSON.stringify(HEADROOM_UUID);
const shots: {file: string; what: string}[] = [];
let pump: Pump | null = null;

const bar = (): Bar => shell.eval<Bar>(`(() => {
    const b = Main.panel.statusArea[${uuid}];
    if (!b) return {level: null, label: ''};
    const labels = [];
    const walk = a => { if (a instanceof St.Label && a.has_style_class_name('headroom-label')) labels.push(a.text);
                        for (const c of a.get_children()) walk(c); };
    walk(b);
    return {level: ${JSON.stringify(LEVELS)}.find(l => b.has_style_class_name('headroom-' + l)) ?? null,
        label: labels[0] ?? ''};
})()`);

const shot = (file: string, what: string, area?: {x: number; y: number; w: number; h: number}): void => {
    shell.screenshot(join(outDir, file), area);
    shots.push({file, what});
    say(`${file}: ${what}`);
};

const waitLevel = (level: Level, timeoutMs: number): Promise<Bar> =>
    waitFor(`the bar ${level}`, () => {
        pump?.check();
        const b = bar();
        return b.level === level && /\d/.test(b.label) === (level !== 'unknown') ? b : undefined;
    }, timeoutMs, 200);

const seen = (): SeenNotification[] => shell.eval<SeenNotification[] | null>(SEEN_JS) ?? [];
const waitSeen = (what: string, pred: (n: SeenNotification) => boolean, timeoutMs: number): Promise<SeenNotification> =>
    waitFor(what, () => {
        pump?.check();
        return seen().find(pred);
    }, timeoutMs, 200);
const waitBanner = (id: number, timeoutMs: number): Promise<Banner> =>
    waitFor(`the banner of notification ${id}`, () => {
        const b = shell.eval<Banner | null>(BANNER_JS);
        return b?.id === id && b.settled ? b : undefined;
    }, timeoutMs, 100);

async function main(): Promise<void> {
    mkdirSync(outDir, {recursive: true});
    for (const f of ['bar-ok.png', 'bar-amber.png', 'bar-red.png', 'bar-unknown.png', 'menu.png',
        'notification-pre-kill.png', 'notification-after-kill.png', 'screen-pre-kill.png', 'screen-after-kill.png'])
        rmSync(join(outDir, f), {force: true});
    // The default folder is in the repository: keep it out of git.
    if (!relative(REPO_ROOT, outDir).startsWith('..'))
        writeFileSync(join(outDir, '.gitignore'), '*\n');

    seed.create();
    // Start a few seconds into the trace's calm minute.
    const plan = seedIncidentPlan(seed, {afterKillSec: 15});
    const frames = plan.frames.filter(f => f.t >= 6);
    for (const f of frames[0]?.files ?? [])
        seed.replace(f.rel, f.file, f.text);
    const jellyfinId = seed.payloadId('app.slice/jellyfin.service');
    podman.install([
        {id: jellyfinId, name: 'jellyfin', unit: 'jellyfin.service'},
        {id: seed.scopeId('user.slice'), name: 'immich_server'},
    ]);
    mkdirSync(shell.hostPath('empty'), {recursive: true});

    say(`starting GNOME Shell (session ${process.env.HEADROOM_E2E_SESSION ?? ''})`);
    shell.start({
        install: [HEADROOM_ZIP],
        settings: fixtureSettings(seed, podman),
        systemPolicies: [oomd.policyFile()],
    });
    shell.eval(RECORDER_JS);
    await oomd.start(seedOomdDump(seed));
    shell.setExtensionEnabled(HEADROOM_UUID, true);
    await shell.waitForExtensionActive(HEADROOM_UUID);
    say('Headroom active; systemd-oomd stand-in on the system bus');

    const b0 = await waitLevel('ok', 10_000);
    shot('bar-ok.png', `ok, ${b0.label} (user.slice is the most pressured slice; app.slice calm)`);

    const p = pump = new Pump(frames, managerDir(seed));
    say(`replaying the seed incident from t=${frames[0]?.t ?? 0} s: amber ~${plan.amberT} s, warning ~${plan.warnT} s, ` +
        `oomd's timer ${plan.timerT} s, kill ${plan.killT} s`);

    const b1 = await waitLevel('amber', 40_000);
    shot('bar-amber.png', `amber, ${b1.label} at t=${p.now().toFixed(0)} s`);

    const warning = await waitSeen('the pre-kill notification', n => n.urgency === URGENCY.CRITICAL, 40_000);
    const wb = await waitBanner(warning.id, 5000);
    shot('notification-pre-kill.png', `"${warning.body}" at t=${p.timeOf(warning.addedAt).toFixed(1)} s; ` +
        `actions ${warning.actions.join(', ')}`, bannerArea(wb));
    shot('screen-pre-kill.png', 'the whole screen with the warning', {x: 0, y: 0, w: wb.stage.w, h: wb.stage.h});

    const b2 = await waitLevel('red', 20_000);
    shot('bar-red.png', `red, ${b2.label} at t=${p.now().toFixed(0)} s`);

    // The menu, opened with a real click, once the victim line names Jellyfin.
    const open = shell.eval<boolean>(`(async () => {
        const b = Main.panel.statusArea[${uuid}];
        if (!b.menu.isOpen) { await click(...actorCenter(b)); await sleep(300); }
        return b.menu.isOpen;
    })()`);
    if (!open)
        throw new Error('the menu did not open on a click');
    const menu = await waitFor('the menu naming oomd\'s pick', () => {
        const m = shell.eval<MenuState | null>(menuStateJs(HEADROOM_UUID));
        return m?.victim?.includes('jellyfin') && m.sections.some(s => s.rows.length > 0) ? m : undefined;
    }, 10_000, 200);
    await sleep(1200); // a graph point or two more
    const area = shell.eval<{x: number; y: number; w: number; h: number}>(`(() => {
        const a = Main.panel.statusArea[${uuid}].menu.actor;
        const [x, y] = a.get_transformed_position(); const [w, h] = a.get_transformed_size();
        return {x, y, w, h: Math.min(h, global.stage.height - y)};
    })()`);
    shot('menu.png', `the menu at t=${p.now().toFixed(0)} s: "${menu.title}", "${menu.victim ?? ''}"`, area);
    // Closed, and the pointer off the button (its hover style would stay in later shots).
    shell.eval(`(async () => { Main.panel.statusArea[${uuid}].menu.close(); await moveTo(640, 600); })()`);

    // oomd's kill, as its Killed signal says it.
    await p.waitWritten(plan.killT, 40_000);
    oomd.emitKilled(plan.payloadCgroup, 'memory-pressure');
    const after = await waitSeen('the after-kill notification', n => n.urgency === URGENCY.HIGH, 8000);
    await sleep(1500);
    const now = shell.eval<unknown[]>(CURRENT_JS);
    const showing = shell.eval<Banner | null>(BANNER_JS);
    say(`after the kill: notifications ${JSON.stringify(now)}; banner shows ${JSON.stringify(showing?.id)} "${showing?.body ?? ''}"`);
    if (showing)
        shot('screen-after-kill.png', 'the screen after the kill', {x: 0, y: 0, w: showing.stage.w, h: showing.stage.h});
    if (showing?.id !== after.id) {
        say('the after-kill notification waits behind the pre-kill warning (critical); closing the warning as a user would');
        const close = shell.eval<[number, number] | null>(`(() => {
            const b = Main.messageTray._banner;
            const c = b?._header?.closeButton;
            return c ? actorCenter(c) : null;
        })()`);
        if (close)
            shell.eval(`click(${close[0]}, ${close[1]})`);
    }
    const ab = await waitBanner(after.id, 8000);
    shot('notification-after-kill.png', `"${after.body}" at t=${p.timeOf(after.addedAt).toFixed(1)} s`, bannerArea(ab));

    // Unknown: nothing readable where the cgroups should be.
    pump.stop();
    pump = null;
    shell.gsettingsSet('org.gnome.shell.extensions.headroom', 'cgroup-root', `'${shell.sessionPath('empty')}'`,
        shell.extensionSchemaDir(HEADROOM_UUID));
    await waitLevel('unknown', 10_000);
    shot('bar-unknown.png', 'unknown: the cgroup root has no readable files');

    const errors = logErrors(readFileSync(shell.paths.log, 'utf8'));
    if (errors.length > 0)
        say(`the shell log has ${errors.length} error lines:\n${errors.join('\n')}`);
}

try {
    await main();
} catch (e) {
    say(`failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    say(`shell log: ${shell.paths.log}`);
    process.exitCode = 1;
} finally {
    (pump as Pump | null)?.stop(); // set in main()
    podman.release();
    await oomd.quit();
    shell.stop();
}
if (process.exitCode !== 1) {
    writeFileSync(join(outDir, 'index.txt'), `${shots.map(s => `${s.file}\t${s.what}`).join('\n')}\n`);
    say(`done; ${shots.length} screenshots`);
    console.log(outDir);
}
