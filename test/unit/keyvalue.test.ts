import assert from 'node:assert/strict';
import fc from 'fast-check';

import { parseKeyValues, type KeyValues } from '../../src/core/keyvalue.js';

// An excerpt of a user app.slice's memory.stat on Linux 6.x under page-cache thrash (cgroup-v2.rst order).
const MEMORY_STAT = `anon 8123428864
file 3291041792
kernel 201326592
kernel_stack 9175040
pagetables 58720256
sec_pagetables 0
percpu 1245184
sock 4096
vmalloc 65536
shmem 482344960
zswap 0
zswapped 0
file_mapped 935460864
file_dirty 262144
file_writeback 0
swapcached 12288
anon_thp 2097152
inactive_anon 3963613184
active_anon 4642324480
inactive_file 1645821952
active_file 1645219840
unevictable 0
slab_reclaimable 88342528
slab_unreclaimable 31457280
workingset_refault_anon 4211
workingset_refault_file 9512337
workingset_activate_file 2204511
workingset_nodereclaim 0
pgscan 48213377
pgsteal 30110942
pgscan_kswapd 19288104
pgscan_direct 28925273
pgscan_khugepaged 0
pgfault 91422001
pgmajfault 1433092
thp_fault_alloc 12
`;

const MEMORY_EVENTS = 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n';
const CGROUP_EVENTS = 'populated 1\nfrozen 0\n';

function expectOk(text: string): KeyValues {
    const result = parseKeyValues(text);
    if (!result.ok)
        assert.fail(`expected ok, got ${result.error.code}: ${result.error.message}`);
    return result.value;
}

function expectError(text: string, code: string): string {
    const result = parseKeyValues(text);
    if (result.ok)
        assert.fail(`expected ${code} for ${JSON.stringify(text)}`);
    assert.equal(result.error.code, code);
    return result.error.message;
}

describe('parseKeyValues', () => {
    it('reads memory.stat, including pgscan and its kswapd/direct split', () => {
        const stat = expectOk(MEMORY_STAT);
        assert.equal(stat.size, 36);
        assert.equal(stat.get('pgscan'), 48213377);
        assert.equal(stat.get('pgscan_kswapd'), 19288104);
        assert.equal(stat.get('pgscan_direct'), 28925273);
        assert.equal(stat.get('anon'), 8123428864); // above 2^32
        assert.equal(stat.get('sec_pagetables'), 0);
        assert.equal(stat.get('pgscan_missing'), undefined);
    });

    it('reads memory.events with every counter, zeros included', () => {
        assert.deepEqual([...expectOk(MEMORY_EVENTS)], [
            ['low', 0], ['high', 0], ['max', 0], ['oom', 0], ['oom_kill', 0], ['oom_group_kill', 0],
        ]);
        assert.equal(expectOk(MEMORY_EVENTS.replace('oom_kill 0', 'oom_kill 3')).get('oom_kill'), 3);
    });

    it('reads cgroup.events', () => {
        const events = expectOk(CGROUP_EVENTS);
        assert.equal(events.get('populated'), 1);
        assert.equal(events.get('frozen'), 0);
        assert.equal(expectOk('populated 0\nfrozen 1\n').get('populated'), 0);
    });

    it('tolerates a missing final newline, CRLF and blank lines', () => {
        assert.deepEqual(expectOk('populated 1\r\n\r\nfrozen 0'), expectOk(CGROUP_EVENTS));
    });

    it('reports an empty or blank file as empty', () => {
        expectError('', 'empty');
        expectError('\n\n', 'empty');
        expectError(' \t\n', 'empty');
    });

    it('reports lines that are not "key unsigned-integer" as malformed, quoting the line', () => {
        for (const line of ['anon -1', 'anon 1.5', 'anon', 'anon 1 2', 'anon  1', 'anon=1', 'Anon 1', '1anon 1',
            'anon 0x10', 'pgscan max', 'anon N0=12 N1=3']) {
            const message = expectError(`file 1\n${line}\nshmem 2\n`, 'malformed');
            assert.ok(message.includes(line.trim()), `${line} → ${message}`);
        }
        const long = expectError(`k${'x'.repeat(100)} 1 2`, 'malformed');
        assert.ok(long.length < 90 && long.endsWith('...'), long);
    });

    it('reports a value beyond 2^53 - 1 as out of range, naming the key', () => {
        assert.equal(expectOk(`anon ${Number.MAX_SAFE_INTEGER}`).get('anon'), Number.MAX_SAFE_INTEGER);
        assert.match(expectError('file 1\nanon 18446744073709551615\n', 'malformed'), /out of range for anon/);
    });

    describe('properties', () => {
        const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,24}$/);
        const entries = fc.uniqueArray(fc.tuple(key, fc.maxSafeNat()), { minLength: 1, maxLength: 40, selector: ([k]) => k });

        it('round-trips any set of keys and safe unsigned values', () => {
            fc.assert(fc.property(entries, list => {
                const text = list.map(([k, v]) => `${k} ${v}\n`).join('');
                assert.deepEqual([...expectOk(text)], list);
            }));
        });

        it('a file cut after any whole line holds exactly the lines before the cut', () => {
            fc.assert(fc.property(entries, fc.nat(), (list, at) => {
                const n = 1 + (at % list.length);
                const text = list.slice(0, n).map(([k, v]) => `${k} ${v}\n`).join('');
                assert.deepEqual([...expectOk(text)], list.slice(0, n));
            }));
        });

        it('never throws on arbitrary text and answers ok or a typed error', () => {
            const chars = fc.constantFrom(...'ab_z09 \n\r-.xK'.split(''));
            fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: chars, maxLength: 80 })), text => {
                const result = parseKeyValues(text);
                if (result.ok) {
                    assert.ok(result.value.size > 0);
                    for (const v of result.value.values())
                        assert.ok(Number.isSafeInteger(v) && v >= 0);
                } else {
                    assert.ok(['empty', 'malformed'].includes(result.error.code));
                    assert.ok(result.error.message.length > 0);
                }
            }), { numRuns: 2000 });
        });
    });
});
