// Real-kernel check of src/core/quiet.ts's premise (root only, ~2.5 min): a stall in a child shows in its
// parent's `some total`, a quiet sibling stays put, and once the parent has been quiet for 3 s a child read
// at full avg10 0.00 keeps the same full avg10 and total until the parent moves again (its avg60 and avg300
// go on decaying, as the sampler's doc says). Pressure comes from pressure.mjs in child `a` for 12 s.
//   node test/tools/quiet-check.mjs        exits 1 if any of it does not hold
import fs from 'node:fs';
import path from 'node:path';
import { makeChild, parsePressure } from './cgroups.mjs';
import { startPressure } from './pressure.mjs';

const RUN_MS = 130_000;
const LOAD_MS = 12_000;
const EVERY_MS = 200;
const SETTLE_SEC = 3;

const parent = makeChild('gate');
const a = path.join(parent.v2Path, 'a');
const b = path.join(parent.v2Path, 'b');
fs.mkdirSync(a);
fs.mkdirSync(b);

function read(dir) {
    const { some, full } = parsePressure(fs.readFileSync(path.join(dir, 'memory.pressure'), 'utf8'));
    return { some: some.total, full: full.total, avg10: full.avg10, line: `avg10=${full.avg10} total=${full.total}` };
}

// The workers start in the parent and move to `a`, so that only `a` and the parent see the stall.
const load = await startPressure({ cgroup: parent });
for (const pid of load.pids)
    fs.writeFileSync(path.join(a, 'cgroup.procs'), String(pid));

const start = Date.now();
const seen = { samples: 0, maxAvg10: 0, childMovedParentNot: 0, siblingMoved: 0, settledAtSec: null, settledChecks: 0, violations: 0 };
let stopped = false;
let previous = null;
let parentTotal = null;
let quietSince = 0;
let settledLine = null;
while (Date.now() - start < RUN_MS) {
    if (!stopped && Date.now() - start > LOAD_MS) {
        await load.stop();
        stopped = true;
    }
    const now = { p: read(parent.v2Path), a: read(a), b: read(b), sec: (Date.now() - start) / 1000 };
    seen.samples++;
    seen.maxAvg10 = Math.max(seen.maxAvg10, now.a.avg10);
    if (previous !== null) {
        if ((now.a.some > previous.a.some || now.a.full > previous.a.full) && now.p.some === previous.p.some)
            seen.childMovedParentNot++;
        if (now.b.some !== previous.b.some || now.b.full !== previous.b.full)
            seen.siblingMoved++;
    }
    if (now.p.some !== parentTotal) {
        parentTotal = now.p.some;
        quietSince = now.sec;
        settledLine = null;
    } else if (settledLine !== null) {
        seen.settledChecks++;
        if (now.a.line !== settledLine) {
            seen.violations++;
            console.log(`at ${now.sec} s the settled child moved: ${settledLine} -> ${now.a.line}`);
        }
    } else if (now.sec - quietSince >= SETTLE_SEC && now.a.avg10 === 0) {
        settledLine = now.a.line;
        seen.settledAtSec ??= now.sec;
    }
    previous = now;
    await new Promise(resolve => setTimeout(resolve, EVERY_MS));
}

const holds = seen.childMovedParentNot === 0 && seen.siblingMoved === 0 && seen.settledChecks > 0 && seen.violations === 0;
console.log(JSON.stringify({ verdict: holds ? 'holds' : 'DOES NOT HOLD', loadSec: LOAD_MS / 1000, ...seen }));
fs.rmdirSync(a);
fs.rmdirSync(b);
await parent.remove();
process.exitCode = holds ? 0 : 1;
