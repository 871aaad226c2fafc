import assert from 'node:assert/strict';

import { Disposer } from '../../src/core/disposer.js';

describe('Disposer', () => {
    it('runs steps newest first and empties itself', () => {
        const order: string[] = [];
        const d = new Disposer();
        d.defer(() => order.push('a'));
        d.defer(() => order.push('b'));
        d.defer(() => order.push('c'));
        assert.equal(d.size, 3);
        d.dispose();
        assert.deepEqual(order, ['c', 'b', 'a']);
        assert.equal(d.size, 0);
    });

    it('reports a throwing step and still runs the rest', () => {
        const order: string[] = [];
        const reported: unknown[] = [];
        const d = new Disposer(e => reported.push(e));
        const boom = new Error('boom');
        d.defer(() => order.push('first'));
        d.defer(() => {
            throw boom;
        });
        d.defer(() => order.push('last'));
        d.dispose();
        assert.deepEqual(order, ['last', 'first']);
        assert.deepEqual(reported, [boom]);
    });

    it('swallows errors silently without a reporter', () => {
        const d = new Disposer();
        let ran = false;
        d.defer(() => (ran = true));
        d.defer(() => {
            throw new Error('x');
        });
        assert.doesNotThrow(() => d.dispose());
        assert.equal(ran, true);
    });

    it('disposes child disposers with the parent, in place of their registration', () => {
        const order: string[] = [];
        const d = new Disposer();
        d.defer(() => order.push('parent-1'));
        const child = d.child();
        child.defer(() => order.push('child-1'));
        child.defer(() => order.push('child-2'));
        d.defer(() => order.push('parent-2'));
        d.dispose();
        assert.deepEqual(order, ['parent-2', 'child-2', 'child-1', 'parent-1']);
        assert.equal(child.size, 0);
    });

    it('a child disposed early unregisters from its parent and does not run twice', () => {
        const order: string[] = [];
        const d = new Disposer();
        const sizeBefore = d.size;
        const child = d.child();
        child.defer(() => order.push('child'));
        assert.equal(d.size, sizeBefore + 1);
        child.dispose();
        assert.deepEqual(order, ['child']);
        assert.equal(d.size, sizeBefore);
        d.dispose();
        assert.deepEqual(order, ['child']);
    });

    it('reports errors of a child\'s steps to the parent\'s reporter', () => {
        const reported: unknown[] = [];
        const d = new Disposer(e => reported.push(e));
        d.child().defer(() => {
            throw new Error('in child');
        });
        d.dispose();
        assert.equal(reported.length, 1);
        assert.match(String(reported[0]), /in child/);
    });

    it('run() does a step early and only once', () => {
        const order: string[] = [];
        const d = new Disposer();
        d.defer(() => order.push('a'));
        const b = d.defer(() => order.push('b'));
        d.defer(() => order.push('c'));
        d.run(b);
        assert.deepEqual(order, ['b']);
        assert.equal(d.size, 2);
        d.dispose();
        assert.deepEqual(order, ['b', 'c', 'a']);
    });

    it('dispose twice is harmless, and steps deferred afterwards run on the next dispose', () => {
        let count = 0;
        const d = new Disposer();
        d.defer(() => count++);
        d.dispose();
        d.dispose();
        assert.equal(count, 1);
        d.defer(() => (count += 10));
        d.dispose();
        assert.equal(count, 11);
    });
});
