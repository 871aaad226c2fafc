import assert from 'node:assert/strict';

import { SerialTask } from '../../src/core/serial.js';

describe('SerialTask', () => {
    it('runs one at a time; requests during a run make exactly one more run, then idle', async () => {
        const log: string[] = [];
        let release: (() => void) | null = null;
        const task = new SerialTask(async () => {
            log.push('start');
            await new Promise<void>(resolve => {
                release = resolve;
            });
            log.push('end');
        }, () => log.push('idle'));

        task.request();
        task.request();
        task.request();
        assert.equal(task.running, true);
        assert.deepEqual(log, ['start']);
        (release as (() => void) | null)?.();
        await new Promise(resolve => setImmediate(resolve));
        assert.deepEqual(log, ['start', 'end', 'start']);
        (release as (() => void) | null)?.();
        await new Promise(resolve => setImmediate(resolve));
        assert.deepEqual(log, ['start', 'end', 'start', 'end', 'idle']);
        assert.equal(task.running, false);
    });
});
