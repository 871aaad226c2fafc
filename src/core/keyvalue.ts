// Parser for the flat keyed files of cgroup v2: memory.stat, memory.events, cgroup.events
// ("key value" per line, value an unsigned integer).

import { contentLines, excerpt, fail, ok, type Result } from './result.js';

export type KeyValues = ReadonlyMap<string, number>;

const LINE = /^([a-z_][a-z0-9_]*) (\d+)$/;

export function parseKeyValues(text: string): Result<KeyValues> {
    const values = new Map<string, number>();
    for (const line of contentLines(text)) {
        const m = LINE.exec(line);
        if (!m)
            return fail('malformed', `unexpected line: ${excerpt(line)}`);
        const value = Number(m[2]);
        if (!Number.isSafeInteger(value))
            return fail('malformed', `value out of range for ${m[1]}`);
        values.set(m[1] as string, value);
    }
    if (values.size === 0)
        return fail('empty', 'the file is empty');
    return ok(values);
}
