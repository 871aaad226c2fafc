// node test/tools/selfcheck.mjs [--engine perl|python3] [--seconds 15] [--decay 10]
// Root only. Shows that cgroups.mjs + pressure.mjs work on this machine: real `full` pressure in a child
// cgroup, its decay, 0 OOM kills, freeze/thaw of a busy loop, and no cgroups left behind.
// Exit status 1 if full avg10 never exceeded 20, an OOM kill happened, or freeze/thaw misbehaved.

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { makeChild, findCgroup2Mount, findMemoryController, PREFIX } from './cgroups.mjs';
import { startPressure } from './pressure.mjs';

const { values: opt } = parseArgs({ options: {
    engine: { type: 'string' }, seconds: { type: 'string', default: '15' }, decay: { type: 'string', default: '10' },
} });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const failures = [];

console.log('cgroup2:', findCgroup2Mount(), 'memory controller:', JSON.stringify(findMemoryController()));

// 1. pressure
const cg = makeChild('selfcheck');
const t0 = Date.now();
const load = await startPressure({ cgroup: cg, engine: opt.engine });
console.log(`engine ${load.engine}, ${load.pids.length} workers, limit ${load.limitBytes >> 20} MiB, ` +
    `file ${load.fileBytes >> 20} MiB, started in ${Date.now() - t0} ms`);

let maxFull = 0;
async function sample(seconds, label) {
    const start = Date.now();
    let prev = cg.pressure().full.total;
    for (let s = 1; s <= seconds; s++) {
        await sleep(start + s * 1000 - Date.now());
        const p = cg.pressure();
        maxFull = Math.max(maxFull, p.full.avg10);
        console.log(`${label} ${String(s).padStart(2)} s  some avg10 ${p.some.avg10.toFixed(2).padStart(6)}  ` +
            `full avg10 ${p.full.avg10.toFixed(2).padStart(6)}  full share ${String(Math.round((p.full.total - prev) / 1e4)).padStart(3)} %  ` +
            `mem ${(cg.memoryCurrent() / 2 ** 20).toFixed(0)} MiB  oom_kill ${cg.oomKills()}`);
        prev = p.full.total;
    }
}
await sample(Number(opt.seconds), 'load ');
// Runnable-but-waiting workers are not memory-stalled, so CPU contention from other work caps `full`.
const cpuAvg10 = (text) => text.match(/some avg10=([\d.]+)/)[1];
console.log(`cpu some avg10: child ${cpuAvg10(cg.read('cpu.pressure'))}, system ${cpuAvg10(fs.readFileSync('/proc/pressure/cpu', 'utf8'))}`);
await load.stop();
await sample(Number(opt.decay), 'decay');
const ooms = cg.oomKills();
await cg.remove();
if (maxFull <= 20) failures.push(`full avg10 peaked at ${maxFull}, expected > 20`);
if (ooms !== 0) failures.push(`${ooms} OOM kills`);

// 2. freeze / thaw a busy loop
const fz = makeChild('freeze');
const busy = fz.spawn('sh', ['-c', 'while :; do :; done']);
await sleep(200);
const ticks = () => fs.readFileSync(`/proc/${busy.pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13)
    .reduce((a, b) => a + Number(b), 0);
async function cpuPerSecond() {
    const a = ticks();
    await sleep(1000);
    return ticks() - a;
}
const running = await cpuPerSecond();
const frozenEv = await fz.freeze();
const frozen = await cpuPerSecond();
const state = fs.readFileSync(`/proc/${busy.pid}/status`, 'utf8').match(/State:\s+(.*)/)[1];
const thawedEv = await fz.thaw();
const thawed = await cpuPerSecond();
console.log(`busy loop CPU ticks/s: running ${running}, frozen ${frozen} (events ${JSON.stringify(frozenEv)}, ` +
    `State: ${state}), thawed ${thawed} (events ${JSON.stringify(thawedEv)})`);
await fz.freeze();
const exited = new Promise((r) => busy.once('exit', (code, sig) => r(sig ?? code)));
await fz.kill();   // SIGKILL reaches frozen tasks
console.log(`killed while frozen: ${await exited}, events ${JSON.stringify(fz.events())}`);
await fz.remove();
if (frozenEv.frozen !== 1 || thawedEv.frozen !== 0 || frozen > 1 || running < 10 || thawed < 10)
    failures.push('freeze/thaw did not stop/resume the busy loop');

// 3. nothing left behind
const left = [findCgroup2Mount(), findMemoryController()?.mount].filter(Boolean)
    .flatMap((d) => fs.readdirSync(d).filter((n) => n.startsWith(`${PREFIX}${process.pid}-`)).map((n) => `${d}/${n}`));
if (left.length) failures.push(`left behind: ${left.join(' ')}`);

console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s, peak full avg10 ${maxFull}, oom kills ${ooms}`);
console.log(failures.length ? `FAIL: ${failures.join('; ')}` : 'OK');
process.exitCode = failures.length ? 1 : 0;
