// Parser for the kernel's pressure stall information (Documentation/accounting/psi.rst), as found in
// /proc/pressure/memory and in every cgroup v2 directory's memory.pressure:
//
//   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
//
// Averages are percentages of wall time; total is the cumulative stall time in microseconds.

import { contentLines, excerpt, fail, ok, type Result } from './result.js';

export interface PsiLine {
    avg10: number;
    avg60: number;
    avg300: number;
    /** Cumulative stall time, microseconds. */
    total: number;
}

export interface Psi {
    some: PsiLine;
    full: PsiLine;
}

const LINE = /^(some|full) avg10=(\d+(?:\.\d+)?) avg60=(\d+(?:\.\d+)?) avg300=(\d+(?:\.\d+)?) total=(\d+)$/;

/** Parses memory PSI text. Both the `some` and the `full` line are required. */
export function parsePsi(text: string): Result<Psi> {
    if (text.trim() === '')
        return fail('empty', 'the pressure file is empty');

    const lines: Partial<Record<'some' | 'full', PsiLine>> = {};
    for (const line of contentLines(text)) {
        const m = LINE.exec(line);
        if (!m)
            return fail('malformed', `unexpected pressure line: ${excerpt(line)}`);
        const [, kind, a10, a60, a300, total] = m as unknown as [string, 'some' | 'full', string, string, string, string];
        if (lines[kind])
            return fail('malformed', `the ${kind} line appears twice`);
        const value: PsiLine = {
            avg10: Number(a10),
            avg60: Number(a60),
            avg300: Number(a300),
            total: Number(total),
        };
        if (value.avg10 > 100 || value.avg60 > 100 || value.avg300 > 100 || !Number.isSafeInteger(value.total))
            return fail('malformed', `pressure values out of range: ${excerpt(line)}`);
        lines[kind] = value;
    }
    if (!lines.some)
        return fail('missing-line', 'the pressure file has no "some" line');
    if (!lines.full)
        return fail('missing-line', 'the pressure file has no "full" line');
    return ok({ some: lines.some, full: lines.full });
}
