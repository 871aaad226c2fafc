import assert from 'node:assert/strict';
import fc from 'fast-check';

import { parsePsi, type Psi, type PsiLine } from '../../src/core/psi.js';

// Kernel output as read from a cgroup's memory.pressure during a thrash, and from an idle
// /proc/pressure/memory. Both lines, each ending in a newline (psi_show: seq_printf(... "\n")).
const CGROUP_TEXT =
    'some avg10=93.41 avg60=61.02 avg300=17.88 total=48213377\n' +
    'full avg10=83.12 avg60=52.30 avg300=14.09 total=41002917\n';
const PROC_TEXT =
    'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' +
    'full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';

const ERROR_CODES = ['empty', 'malformed', 'missing-line'];

/** The kernel prints averages as `%lu.%02lu` (LOAD_INT, LOAD_FRAC). */
function kernelPercent(centi: number): string {
    return `${Math.floor(centi / 100)}.${String(centi % 100).padStart(2, '0')}`;
}

interface LineSpec { avg10: number; avg60: number; avg300: number; total: number } // averages in 1/100 %

function kernelLine(kind: 'some' | 'full', l: LineSpec): string {
    return `${kind} avg10=${kernelPercent(l.avg10)} avg60=${kernelPercent(l.avg60)} ` +
        `avg300=${kernelPercent(l.avg300)} total=${l.total}`;
}

function expected(l: LineSpec): PsiLine {
    return { avg10: l.avg10 / 100, avg60: l.avg60 / 100, avg300: l.avg300 / 100, total: l.total };
}

const centiPercent = fc.integer({ min: 0, max: 10000 });
const lineSpec = fc.record({
    avg10: centiPercent,
    avg60: centiPercent,
    avg300: centiPercent,
    total: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.maxSafeInteger().filter(n => n >= 0)),
});

function assertTypedError(result: ReturnType<typeof parsePsi>): void {
    if (result.ok)
        return;
    assert.ok(ERROR_CODES.includes(result.error.code), `unexpected code ${result.error.code}`);
    assert.equal(typeof result.error.message, 'string');
    assert.ok(result.error.message.length > 0);
}

function expectError(text: string, code: string): string {
    const result = parsePsi(text);
    assert.equal(result.ok, false, `expected ${code} for ${JSON.stringify(text)}`);
    if (result.ok)
        throw new Error('unreachable');
    assert.equal(result.error.code, code);
    assert.ok(result.error.message.length > 0);
    return result.error.message;
}

function expectOk(text: string): Psi {
    const result = parsePsi(text);
    if (!result.ok)
        assert.fail(`expected ok, got ${result.error.code}: ${result.error.message}`);
    return result.value;
}

describe('parsePsi', () => {
    it('reads both lines of a cgroup memory.pressure file', () => {
        assert.deepEqual(expectOk(CGROUP_TEXT), {
            some: { avg10: 93.41, avg60: 61.02, avg300: 17.88, total: 48213377 },
            full: { avg10: 83.12, avg60: 52.3, avg300: 14.09, total: 41002917 },
        });
    });

    it('reads an idle /proc/pressure/memory as all zeros', () => {
        assert.deepEqual(expectOk(PROC_TEXT), {
            some: { avg10: 0, avg60: 0, avg300: 0, total: 0 },
            full: { avg10: 0, avg60: 0, avg300: 0, total: 0 },
        });
    });

    it('does not need the trailing newline, and accepts CRLF and surrounding blank lines', () => {
        assert.deepEqual(expectOk(CGROUP_TEXT.trimEnd()), expectOk(CGROUP_TEXT));
        assert.deepEqual(expectOk(CGROUP_TEXT.replace(/\n/g, '\r\n')), expectOk(CGROUP_TEXT));
        assert.deepEqual(expectOk(`\n${CGROUP_TEXT}\n\n`), expectOk(CGROUP_TEXT));
    });

    it('keeps some and full apart whatever their order', () => {
        const [some, full] = CGROUP_TEXT.trimEnd().split('\n') as [string, string];
        const psi = expectOk(`${full}\n${some}\n`);
        assert.equal(psi.full.avg10, 83.12);
        assert.equal(psi.some.avg10, 93.41);
    });

    it('reports an empty or blank file as empty', () => {
        expectError('', 'empty');
        expectError('\n', 'empty');
        expectError('  \n\t\n', 'empty');
    });

    it('reports a missing full or some line as missing-line, naming the line', () => {
        const [some, full] = CGROUP_TEXT.trimEnd().split('\n') as [string, string];
        assert.match(expectError(`${some}\n`, 'missing-line'), /full/);
        assert.match(expectError(`${full}\n`, 'missing-line'), /some/);
    });

    it('reports a line that appears twice as malformed', () => {
        const [some] = CGROUP_TEXT.split('\n') as [string];
        assert.match(expectError(`${CGROUP_TEXT}${some}\n`, 'malformed'), /some.*twice/);
    });

    it('reports unexpected lines as malformed, quoting them', () => {
        const cases = [
            'some avg10=1.00 avg60=1.00 avg300=1.00\nfull avg10=1.00 avg60=1.00 avg300=1.00 total=1\n', // no total
            'some avg10=1.00 avg60=1.00 avg300=1.00 total=1 extra=2\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
            'some avg10=-1.00 avg60=1.00 avg300=1.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
            'some avg10=1. avg60=1.00 avg300=1.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
            'some avg10=1.00 avg60=1.00 avg300=1.00 total=1.5\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
            'SOME avg10=1.00 avg60=1.00 avg300=1.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
            'cpu avg10=1.00 avg60=1.00 avg300=1.00 total=1\n',
            'some avg10=1.00 avg300=1.00 avg60=1.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
        ];
        for (const text of cases)
            assert.match(expectError(text, 'malformed'), /unexpected pressure line/, text);
        const long = `some ${'x'.repeat(200)}`;
        const message = expectError(long, 'malformed');
        assert.ok(message.length < 120, 'a long line is shortened in the message');
        assert.match(message, /\.\.\.$/);
    });

    it('accepts 100.00 but reports averages above 100 % as out of range', () => {
        assert.equal(expectOk('some avg10=100.00 avg60=100.00 avg300=100.00 total=5\n' +
            'full avg10=100.00 avg60=100.00 avg300=100.00 total=5\n').full.avg10, 100);
        for (const field of ['avg10', 'avg60', 'avg300']) {
            const text = PROC_TEXT.replace(/^full .*$/m, line => line.replace(`${field}=0.00`, `${field}=100.01`));
            assert.notEqual(text, PROC_TEXT);
            assert.match(expectError(text, 'malformed'), /out of range/, field);
        }
    });

    it('accepts a total up to 2^53 - 1 µs and reports a larger one as out of range', () => {
        const max = Number.MAX_SAFE_INTEGER;
        assert.equal(expectOk(PROC_TEXT.replace(/total=0$/m, `total=${max}`)).some.total, max);
        assert.match(expectError(PROC_TEXT.replace(/total=0$/m, 'total=9007199254740992'), 'malformed'), /out of range/);
        assert.match(expectError(PROC_TEXT.replace(/total=0$/m, `total=${'9'.repeat(400)}`), 'malformed'), /out of range/);
    });

    describe('properties', () => {
        it('round-trips any kernel-formatted pair of lines', () => {
            fc.assert(fc.property(lineSpec, lineSpec, (some, full) => {
                const text = `${kernelLine('some', some)}\n${kernelLine('full', full)}\n`;
                assert.deepEqual(expectOk(text), { some: expected(some), full: expected(full) });
            }));
        });

        it('never throws on arbitrary text and answers ok or a typed error', () => {
            const psiChars = fc.constantFrom(...'somefulavg1036tl=. \n\r0123456789x-'.split(''));
            const arbitraryText = fc.oneof(fc.string(), fc.string({ unit: psiChars, maxLength: 120 }), fc.string({ unit: 'grapheme' }));
            fc.assert(fc.property(arbitraryText, text => {
                assertTypedError(parsePsi(text));
            }), { numRuns: 2000 });
        });

        it('never throws on a valid file with one character changed, inserted or deleted', () => {
            fc.assert(fc.property(lineSpec, lineSpec, fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), fc.constantFrom('set', 'insert', 'delete'),
                (some, full, at, ch, op) => {
                    const text = `${kernelLine('some', some)}\n${kernelLine('full', full)}\n`;
                    const i = at % text.length;
                    const mutated = op === 'set'
                        ? text.slice(0, i) + ch + text.slice(i + 1)
                        : op === 'insert' ? text.slice(0, i) + ch + text.slice(i) : text.slice(0, i) + text.slice(i + 1);
                    assertTypedError(parsePsi(mutated));
                }));
        });

        // A prefix of the file is what a short read would return. A prefix that ends in the middle of the
        // last number (`total=12` of `total=1234`) is indistinguishable from a valid file with a smaller
        // total, so it may parse; everything else that cuts a line must fail, and the fields that the
        // prefix contains in full must never come back altered.
        it('every prefix of a valid file parses only when it holds both lines, and never alters a complete field', () => {
            fc.assert(fc.property(lineSpec, lineSpec, (someSpec, fullSpec) => {
                const someLine = kernelLine('some', someSpec);
                const fullLine = kernelLine('full', fullSpec);
                const text = `${someLine}\n${fullLine}\n`;
                const fullStart = someLine.length + 1;
                const fullTotalStart = fullStart + fullLine.lastIndexOf('=') + 1;
                const someTotalStart = someLine.lastIndexOf('=') + 1;
                for (let k = 0; k <= text.length; k++) {
                    const prefix = text.slice(0, k);
                    const result = parsePsi(prefix);
                    assertTypedError(result);
                    if (k === 0) {
                        assert.equal(result.ok || result.error.code, 'empty');
                    } else if (k <= someLine.length) {
                        // Inside the some line: the full line is absent.
                        assert.equal(result.ok, false, `prefix ${JSON.stringify(prefix)} parsed`);
                        const code = k > someTotalStart ? 'missing-line' : 'malformed';
                        assert.equal(result.ok || result.error.code, code, JSON.stringify(prefix));
                    } else if (k <= fullStart) {
                        assert.equal(result.ok || result.error.code, 'missing-line', JSON.stringify(prefix));
                    } else if (k <= fullTotalStart) {
                        // The full line is cut before its total has a digit.
                        assert.equal(result.ok || result.error.code, 'malformed', JSON.stringify(prefix));
                    } else {
                        if (!result.ok)
                            assert.fail(`prefix ${JSON.stringify(prefix)} failed: ${result.error.message}`);
                        assert.deepEqual(result.value.some, expected(someSpec));
                        const { total, ...averages } = result.value.full;
                        const { total: _t, ...expectedAverages } = expected(fullSpec);
                        assert.deepEqual(averages, expectedAverages);
                        const digits = prefix.slice(fullTotalStart);
                        assert.equal(total, Number(digits));
                        assert.ok(String(fullSpec.total).startsWith(String(total)));
                        if (k >= fullStart + fullLine.length)
                            assert.equal(total, fullSpec.total);
                    }
                }
            }), { numRuns: 200 });
        });
    });
});
