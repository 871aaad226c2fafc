// End-to-end: Headroom's notifications in a real headless GNOME Shell. The seed incident's synthetic
// trace (src/core/traces.ts: app.slice's full stall climbing to 92 %, the Jellyfin payload reclaiming
// fastest) is replayed once a second into a copy of the seed fixture; a stand-in systemd-oomd
// (test/dbus/fake-oomd.js) owns org.freedesktop.oom1 on the session's system bus and emits Killed; a
// stand-in user manager (test/dbus/fake-systemd.js) owns org.freedesktop.systemd1 on its session bus and
// restarts jellyfin.service after the kill; a fake podman records its argv. Needs root; see README.md.
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {FakePodman, FixtureCopy, fixtureSettings} from './inventory-helpers.js';
import {GnomeShellSession, HEADROOM_UUID, HEADROOM_ZIP, REPO_ROOT, SCREENSHOT_DIR, logErrors, sleep, waitFor} from './lib.js';
import {
    BANNER_JS, CLOSE_LIST_JS, CURRENT_JS, FakeOomd, FakeSystemd, Pump, RECORDER_JS, SEEN_JS, URGENCY, bannerArea,
    bumpEvent, listedMessageJs, managerDir, seedIncidentPlan, seedOomdDump, type Banner, type IncidentPlan,
    type ListedMessage, type SeenNotification,
} from './notify-helpers.js';

const WARNING_BODY = /^systemd-oomd (will stop jellyfin in .+|may stop jellyfin now)$/;
const KILLED_BODY = 'systemd-oomd stopped jellyfin to free memory';
const RESTART_LINE = 'systemd restarted jellyfin.service';
const RESTARTED_BODY = `${KILLED_BODY}. ${RESTART_LINE}`;
const KERNEL_BODY = /^The kernel stopped a process in (.+): it ran out of memory before systemd-oomd acted$/;

describe('Headroom notifications in GNOME Shell (e2e)', function () {
    this.timeout(120_000);
    const shell = new GnomeShellSession();
    const seed = new FixtureCopy(shell, 'seed');
    const podman = new FakePodman(shell);
    const oomd = new FakeOomd(shell);
    const systemd = new FakeSystemd(shell);
    const uuid = JSON.stringify(HEADROOM_UUID);
    let plan: IncidentPlan;
    let pump: Pump | null = null;
    let jellyfinId = '';
    let warningId = 0;
    let killedId = 0;
    const timings: string[] = [];

    const seen = (): SeenNotification[] => {
        const s = shell.eval<SeenNotification[] | null>(SEEN_JS);
        assert.ok(s, 'the notification recorder is installed');
        return s;
    };
    const critical = (list: SeenNotification[]): SeenNotification[] => list.filter(n => n.urgency === URGENCY.CRITICAL);
    const banner = (): Banner | null => shell.eval<Banner | null>(BANNER_JS);
    const shotBanner = (name: string, b: Banner): void =>
        shell.screenshot(join(SCREENSHOT_DIR, `${name}.png`), bannerArea(b));
    /** Polls the recorder until `pred` finds a notification; the error carries everything seen. */
    const waitSeen = async (what: string, pred: (n: SeenNotification) => boolean, timeoutMs: number):
        Promise<SeenNotification> => {
        let last: SeenNotification[] = [];
        try {
            return await waitFor(what, () => {
                pump?.check();
                last = seen();
                return last.find(pred);
            }, timeoutMs, 200);
        } catch (e) {
            throw new Error(`${String(e)}\nseen: ${JSON.stringify(last, null, 1)}`);
        }
    };

    before(async function () {
        assert.ok(existsSync(HEADROOM_ZIP), `${HEADROOM_ZIP} missing: run 'make pack' first`);
        assert.ok(existsSync(join(REPO_ROOT, 'test', 'dbus', 'fake-oomd.js')), 'test/dbus/fake-oomd.js (the stand-in oomd)');
        assert.ok(existsSync(join(REPO_ROOT, 'test', 'dbus', 'fake-systemd.js')), 'test/dbus/fake-systemd.js (the stand-in systemd)');
        mkdirSync(SCREENSHOT_DIR, {recursive: true});
        seed.create();
        plan = seedIncidentPlan(seed);
        // The trace's first second (calm) is in place before the shell reads anything.
        for (const f of plan.frames[0]?.files ?? [])
            seed.replace(f.rel, f.file, f.text);
        jellyfinId = seed.payloadId('app.slice/jellyfin.service');
        podman.install([
            {id: jellyfinId, name: 'jellyfin', unit: 'jellyfin.service'},
            {id: seed.scopeId('user.slice'), name: 'immich_server'},
        ]);
        shell.start({
            install: [HEADROOM_ZIP],
            settings: fixtureSettings(seed, podman),
            systemPolicies: [oomd.policyFile()],
        });
        const log = readFileSync(shell.paths.log, 'utf8');
        assert.doesNotMatch(log, /INSTALL FAILED/, log);
        assert.equal(shell.eval<boolean>(RECORDER_JS), true);
        // oomd and the user's systemd are up before Headroom starts, as on a Fedora desktop. The user
        // manager knows jellyfin.service, running (NRestarts 0) until oomd kills its payload.
        await oomd.start(seedOomdDump(seed));
        await systemd.start({'jellyfin.service': {}});
    });

    after(async function () {
        pump?.stop();
        podman.release();
        await oomd.quit();
        await systemd.quit();
        shell.stop();
        if (timings.length > 0)
            console.log(`      timings (trace seconds): ${timings.join('; ')}`);
    });

    it('is active and takes its limits from the stand-in systemd-oomd', async function () {
        shell.setExtensionEnabled(HEADROOM_UUID, true);
        await shell.waitForExtensionActive(HEADROOM_UUID);
        await waitFor('"Limits from systemd-oomd"', () =>
            shell.eval<string>(`Main.panel.statusArea[${uuid}]._source.label.text`) === 'Limits from systemd-oomd', 10_000, 200);
        assert.deepEqual(seen(), [], 'no notification while calm');
    });

    it('warns before the predicted kill: one critical notification naming jellyfin, with Pause jellyfin and Close firefox', async function () {
        const p = pump = new Pump(plan.frames, managerDir(seed));
        const warning = await waitSeen('the pre-kill notification', n => n.urgency === URGENCY.CRITICAL,
            (plan.predictedKillT + 3) * 1000);
        warningId = warning.id;
        const warnedAt = p.timeOf(warning.addedAt);
        timings.push(`amber ${plan.amberT} (replay)`, `warning ${plan.warnT} (replay) / ${warnedAt.toFixed(1)} (shell)`,
            `oomd timer ${plan.timerT}`, `predicted kill ${plan.predictedKillT}`, `kill ${plan.killT}`);

        // The banner, before anything else moves.
        const b = await waitFor('the warning\'s banner', () => {
            const x = banner();
            return x?.id === warning.id && x.settled ? x : undefined;
        }, 5000, 100);
        shotBanner('notify-before', b);

        assert.ok(warnedAt < plan.predictedKillT,
            `warned at t=${warnedAt.toFixed(1)}, before the predicted kill at t=${plan.predictedKillT}`);
        assert.ok(warnedAt >= plan.amberT, `not before the episode could open (t=${plan.amberT})`);
        assert.equal(warning.title, 'Memory pressure');
        assert.match(warning.body, WARNING_BODY);
        assert.deepEqual(warning.actions, ['Pause jellyfin', 'Close firefox']);
        assert.equal(warning.id, 1, 'the first notification of the session');
        // Critical: expanded at once, its buttons on screen.
        assert.equal(b.expanded, true, 'critical banners are expanded');
        assert.deepEqual(b.buttons.map(x => [x.label, x.mapped, x.reactive]),
            [['Pause jellyfin', true, true], ['Close firefox', true, true]]);
        assert.equal(b.title, 'Memory pressure');
    });

    it('updates that notification in place as the countdown runs', async function () {
        const updated = await waitSeen('the warning\'s body updated', n => n.id === warningId && n.bodies.length >= 2, 15_000);
        assert.notEqual(updated.bodies[1], updated.bodies[0]);
        for (const body of updated.bodies)
            assert.match(body, WARNING_BODY);
        const all = seen();
        assert.equal(all.length, 1, `one notification so far: ${JSON.stringify(all)}`);
        assert.equal(updated.destroyed, null, 'still there');
        // The source holds that same object, with the new text.
        const now = shell.eval<{id: number | null; body: string; urgency: number}[]>(CURRENT_JS);
        assert.equal(now.length, 1);
        assert.equal(now[0]?.id, warningId);
        assert.equal(now[0]?.urgency, URGENCY.CRITICAL);
        assert.equal(now[0]?.body, all[0]?.body);
        const b = banner();
        assert.equal(b?.id, warningId, 'the banner still shows it');
        assert.equal(b?.body, all[0]?.body, 'the banner shows the new text');
    });

    it('runs `podman pause <jellyfin id>` on a real click on the banner\'s Pause jellyfin', async function () {
        podman.clearLog();
        const b = banner();
        assert.equal(b?.id, warningId);
        const pause = b?.buttons.find(x => x.label === 'Pause jellyfin');
        assert.ok(pause?.mapped && pause.reactive, 'Pause jellyfin is on screen');
        shell.eval(`click(${pause.x}, ${pause.y})`);
        const actions = (): string[][] => podman.calls().filter(c => c[0] !== 'ps');
        await waitFor('podman pause', () => actions().length > 0, 5000, 100);
        assert.deepEqual(actions(), [['pause', jellyfinId]]);
        assert.ok((pump as Pump).now() < plan.killT, 'before oomd\'s kill');
        // The tray drops a notification that is not resident once one of its actions ran.
        await waitSeen('the warning gone', n => n.id === warningId && n.destroyed !== null, 5000);
        assert.deepEqual(shell.eval(CURRENT_JS), []);
    });

    it('tells the user after systemd-oomd\'s Killed signal: "systemd-oomd stopped jellyfin to free memory"', async function () {
        const p = pump as Pump;
        await p.waitWritten(plan.killT, (plan.killT + 5) * 1000);
        oomd.emitKilled(plan.payloadCgroup, 'memory-pressure');
        const sentAt = p.now();
        // Its first text (the restart news comes later, into the same notification: see the next test).
        const after = await waitSeen('the after-kill notification', n => n.bodies[0] === KILLED_BODY, 8000);
        killedId = after.id;
        timings.push(`Killed sent ${sentAt.toFixed(1)}, notified ${p.timeOf(after.addedAt).toFixed(1)}`);
        assert.equal(after.title, 'Memory pressure');
        assert.equal(after.urgency, URGENCY.HIGH);
        assert.deepEqual(after.actions, []);
        const b = await waitFor('its banner', () => {
            const x = banner();
            return x?.id === after.id && x.settled ? x : undefined;
        }, 5000, 100);
        shotBanner('notify-after', b);
        assert.equal(b.body, KILLED_BODY);
        // Still one warning for the whole episode: the kill did not bring it back.
        assert.equal(critical(seen()).length, 1, JSON.stringify(seen()));
        // The user manager running jellyfin.service has not moved yet: nothing added to the text.
        assert.deepEqual(seen().find(n => n.id === killedId)?.bodies, [KILLED_BODY]);
    });

    it(`adds systemd's restart to that same notification: "${RESTART_LINE}"`, async function () {
        // As systemd 257 does with Restart=always (src/core/restart.ts): down with a restart scheduled,
        // then active again, one restart more, each change sent as PropertiesChanged.
        systemd.setUnitState('jellyfin.service', {activeState: 'activating', subState: 'auto-restart'});
        await sleep(300);
        systemd.setUnitState('jellyfin.service', {activeState: 'active', subState: 'running', nRestarts: 1, entered: true});
        const restarted = await waitSeen('the restart news', n => n.id === killedId && n.body === RESTARTED_BODY, 8000);
        assert.deepEqual(restarted.bodies, [KILLED_BODY, RESTARTED_BODY], 'updated once, in place');
        assert.equal(restarted.destroyed, null, 'still there');
        assert.equal(restarted.urgency, URGENCY.HIGH);
        assert.equal(restarted.title, 'Memory pressure');
        assert.equal(seen().length, killedId, `no new notification for the restart: ${JSON.stringify(seen())}`);
        const now = shell.eval<{id: number | null; body: string}[]>(CURRENT_JS);
        assert.deepEqual(now.map(n => [n.id, n.body]), [[killedId, RESTARTED_BODY]]);

        // In the message list: one ellipsized line until the message is expanded (GNOME's Message would
        // also turn line breaks into spaces, which is why the news is joined as a second sentence).
        const listedJs = listedMessageJs(RESTART_LINE);
        try {
            const listed = await waitFor('the restart news in the message list', () =>
                shell.eval<ListedMessage | null>(listedJs) ?? undefined, 5000, 200);
            assert.equal(listed.text, RESTARTED_BODY);
            assert.equal(listed.ellipsized, true, `one line, cut, before expanding: ${JSON.stringify(listed)}`);
            const e = listed.expand;
            assert.ok(e?.mapped && e.reactive && e.opacity === 255, `the expand button is on screen: ${JSON.stringify(listed)}`);
            // A real click on the message's chevron.
            shell.eval(`click(${e.x}, ${e.y})`);
            const whole = await waitFor('the message expanded, its body whole', () => {
                const x = shell.eval<ListedMessage | null>(listedJs);
                return x?.expanded && !x.ellipsized ? x : undefined;
            }, 5000, 200);
            shell.screenshot(join(SCREENSHOT_DIR, 'notify-restart.png'), whole.menu);
            assert.equal(whole.text, RESTARTED_BODY);
            assert.ok(whole.label.h > listed.label.h, `wrapped onto more lines: ${JSON.stringify([listed.label, whole.label])}`);
            assert.ok(whole.label.x >= whole.menu.x && whole.label.x + whole.label.w <= whole.menu.x + whole.menu.w &&
                whole.label.y + whole.label.h <= whole.menu.y + whole.menu.h, `the body inside the menu: ${JSON.stringify(whole)}`);
        } finally {
            shell.eval(CLOSE_LIST_JS);
        }
    });

    it('tells the user when the kernel\'s OOM killer acts in app.slice (memory.events oom_kill)', async function () {
        bumpEvent(seed, 'app.slice', 'oom_kill');
        const kernel = await waitSeen('the kernel OOM notification', n => n.title === 'Out of memory', 8000);
        const m = KERNEL_BODY.exec(kernel.body);
        assert.ok(m, `kernel message: ${kernel.body}`);
        timings.push(`kernel kill named "${m[1]}"`);
        assert.equal(kernel.urgency, URGENCY.HIGH);
        assert.notEqual(kernel.body, KILLED_BODY, 'distinct from oomd\'s');
        assert.equal(critical(seen()).length, 1);
        // One more kill is told once more; none is told twice.
        bumpEvent(seed, 'app.slice', 'oom_kill');
        await waitFor('a second kernel notification', () => seen().filter(n => n.title === 'Out of memory').length === 2, 8000, 200);
        await sleep(2500);
        assert.equal(seen().filter(n => n.title === 'Out of memory').length, 2);
    });

    it('logged no JS errors, criticals or headroom errors', function () {
        pump?.check();
        const errors = logErrors(readFileSync(shell.paths.log, 'utf8'));
        assert.deepEqual(errors, [], `shell log (${shell.paths.log}) has errors:\n${errors.join('\n')}`);
    });
});
