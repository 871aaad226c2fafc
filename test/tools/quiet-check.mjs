// Real-kernel check of src/core/quiet.ts's premise (root only, ~2.5 min): a stall in a child shows in its
// parent's `some total`, a quiet sibling stays put, and once the parent has been quiet for 3 s a child read
// at full avg10 0.00 keeps the same full avg10 and total until the parent moves again (its avg60 and avg300
// go on decaying, as the sampler's doc says). Pressure comes from pressure.mjs in child `a` for 12 s.
//   node test/tools/quiet-check.mjs
import fs from 'node:fs';
import path from 'node:path';
import { makeChild } from './cgroups.mjs';
import { startPressure } from './pressure.mjs';

const P = makeChild('gate');
const A = path.join(P.v2Path, 'a'), B = path.join(P.v2Path, 'b');
fs.mkdirSync(A); fs.mkdirSync(B);
const read = d => {
    const t = fs.readFileSync(path.join(d, 'memory.pressure'), 'utf8');
    const [s, f] = t.trim().split('\n');
    const num = (l, k) => Number(new RegExp(`${k}=([\\d.]+)`).exec(l)[1]);
    return { someTotal: num(s, 'total'), fullTotal: num(f, 'total'), someAvg: num(s, 'avg10'), fullAvg: num(f, 'avg10'), fullLine: f, full: `avg10=${num(f, 'avg10')} total=${num(f, 'total')}` };
};
const load = await startPressure({ cgroup: P });
for (const pid of load.pids) { try { fs.writeFileSync(path.join(A, 'cgroup.procs'), String(pid)); } catch (e) { console.error('move', pid, e.message); } }
const t0 = Date.now();
let prev = null, stopped = false, violations = 0, childMovedParentNot = 0, siblingMoved = 0, samples = 0;
let quietSince = null, lastParent = null, settledLine = null, settledChecks = 0, firstSettle = null, maxFullA = 0;
while (Date.now() - t0 < 130_000) {
    if (!stopped && Date.now() - t0 > 12_000) { await load.stop(); stopped = true; console.log('load stopped at', (Date.now() - t0) / 1000); }
    const p = read(P.v2Path), a = read(A), b = read(B);
    const now = (Date.now() - t0) / 1000;
    samples++;
    maxFullA = Math.max(maxFullA, a.fullAvg);
    if (prev) {
        if ((a.someTotal > prev.a.someTotal || a.fullTotal > prev.a.fullTotal) && p.someTotal === prev.p.someTotal) childMovedParentNot++;
        if (b.someTotal !== prev.b.someTotal || b.fullTotal !== prev.b.fullTotal) siblingMoved++;
    }
    if (p.someTotal !== lastParent) { lastParent = p.someTotal; quietSince = now; settledLine = null; }
    else if (settledLine !== null) { settledChecks++; if (a.full !== settledLine) { violations++; console.log('VIOLATION at', now, settledLine, '->', a.fullLine); } }
    else if (now - quietSince >= 3 && a.fullAvg === 0) { settledLine = a.full; firstSettle ??= now; }
    prev = { p, a, b };
    await new Promise(r => setTimeout(r, 200));
}
const verdict = childMovedParentNot === 0 && siblingMoved === 0 && settledChecks > 0 && violations === 0;
console.log(JSON.stringify({ verdict: verdict ? 'holds' : 'DOES NOT HOLD', samples, maxFullA, childMovedParentNot, siblingMoved, settledAtSec: firstSettle, settledChecks, violations,
    parent: read(P.v2Path), a: read(A), b: read(B) }));
fs.rmdirSync(A); fs.rmdirSync(B);
await P.remove();
process.exitCode = verdict ? 0 : 1;
