// tools/pot.mjs, which writes po/headroom.pot: it finds every message, including those xgettext 0.21's
// JavaScript lexer loses, and its output is a valid template; the translations compile.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { bundledSources, extractMessages, formatPot } from '../../tools/pot.mjs';

const ROOT = join(import.meta.dirname, '..', '..');

function extract(text: string) {
    return extractMessages([{ path: 'src/sample.ts', text }]);
}

/** The msgids of a PO file, by msgcat's own reading of it (one per line, escapes kept). */
function msgids(poFile: string): Set<string> {
    const out = execFileSync('msgcat', ['--no-wrap', '--no-location', poFile], { encoding: 'utf8' });
    return new Set([...out.matchAll(/^msgid (".*"(?:\n".*")*)$/gm)]
        .map(m => (m[1] as string).split('\n').map(piece => piece.slice(1, -1)).join(''))
        .filter(id => id !== ''));
}

describe('tools/pot.mjs', function () {
    let dir = '';
    before(function () {
        dir = mkdtempSync(join(tmpdir(), 'headroom-pot-'));
    });
    after(function () {
        rmSync(dir, { recursive: true, force: true });
    });

    it('reads messages that xgettext 0.21 loses after a template literal', function () {
        const { messages } = extract([
            'const names = list.map(g => (g.count > 1 ? `${g.name} ×${g.count}` : g.name));',
            'const text = _(\'%s %s — %s\').replace(/%s/g, () => parts[i++] ?? \'\');',
        ].join('\n'));
        assert.deepEqual(messages.map(m => m.msgid), ['%s %s — %s']);
    });

    it('reads TypeScript, plurals, concatenations and translator comments', function () {
        const { messages, problems } = extract([
            'function f<T extends string>(n: number, x: T): string {',
            '    // Translators: %d is a number of apps.',
            '    const a = ngettext(\'%d app\', \'%d apps\', n) as string;',
            '    return _(\'one \' +',
            '        \'two\') + gettext("three") + _(x);',
            '}',
        ].join('\n'));
        assert.deepEqual(messages.map(m => [m.msgid, m.plural]), [['%d app', '%d apps'], ['one two', null], ['three', null]]);
        assert.deepEqual(messages[0]?.comments, ['Translators: %d is a number of apps.']);
        assert.deepEqual(messages[1]?.references, ['src/sample.ts:4']);
        assert.deepEqual(problems, ['src/sample.ts:5: _(x)']);
    });

    it('writes a template that gettext reads back, message for message', function () {
        const { messages } = extract('_(\'a "quoted" \\\\ word\'); _(\'two\\nlines\'); ngettext(\'%d kill\', \'%d kills\', 2);');
        const file = join(dir, 'sample.pot');
        writeFileSync(file, formatPot(messages));
        assert.deepEqual(msgids(file), new Set(['a \\"quoted\\" \\\\ word', 'two\\nlines', '%d kill']));
        assert.match(readFileSync(file, 'utf8'), /#, javascript-format\nmsgid "%d kill"/);
    });

    it('finds every message that xgettext finds in the shipped modules', async function () {
        const files = await bundledSources(['src/extension.ts', 'src/prefs.ts']);
        assert.ok(files.includes('src/prefs.ts') && files.includes('src/extension.ts'));
        const ours = join(dir, 'ours.pot');
        const theirs = join(dir, 'xgettext.pot');
        writeFileSync(ours, formatPot(extractMessages(files.map(path => ({
            path, text: readFileSync(join(ROOT, path), 'utf8'),
        }))).messages));
        execFileSync('xgettext', ['--language=JavaScript', '--from-code=UTF-8', '--keyword=_', '--keyword=gettext',
            '--keyword=ngettext:1,2', '-o', theirs, ...files], { cwd: ROOT, stdio: 'ignore' });
        const found = msgids(ours);
        assert.deepEqual([...msgids(theirs)].filter(id => !found.has(id)), []);
    });

    it('po/headroom.pot is a template gettext reads, with the schema\'s texts', function () {
        const pot = join(ROOT, 'po', 'headroom.pot');
        const ids = msgids(pot);
        assert.ok(ids.has('Follow systemd-oomd'), 'a schema summary is missing');
        assert.ok(ids.has('Thresholds'), 'a preferences page title is missing');
        assert.ok(ids.has('Memory pressure is low'), 'a core message is missing');
    });

    it('po/headroom.pot is current, and every catalogue translates all of it (run `make pot` and msgmerge)', function () {
        const fresh = join(dir, 'fresh.pot');
        execFileSync('node', [join(ROOT, 'tools', 'pot.mjs'), fresh], { cwd: ROOT });
        const committed = msgids(join(ROOT, 'po', 'headroom.pot'));
        const current = msgids(fresh);
        assert.deepEqual([...current].filter(id => !committed.has(id)), [], 'messages missing from po/headroom.pot');
        assert.deepEqual([...committed].filter(id => !current.has(id)), [], 'messages in po/headroom.pot that the sources no longer have');
        for (const po of readdirSync(join(ROOT, 'po')).filter(f => f.endsWith('.po'))) {
            const stats = execFileSync('msgfmt', ['--statistics', '-o', '/dev/null', join(ROOT, 'po', po)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
            const ids = msgids(join(ROOT, 'po', po));
            assert.deepEqual([...current].filter(id => !ids.has(id)), [], `${po}: messages not in the catalogue`);
            const untranslated = execFileSync('msgattrib', ['--untranslated', '--no-obsolete', join(ROOT, 'po', po)], { encoding: 'utf8' });
            const fuzzy = execFileSync('msgattrib', ['--only-fuzzy', '--no-obsolete', join(ROOT, 'po', po)], { encoding: 'utf8' });
            assert.equal(untranslated.trim() + fuzzy.trim(), '', `${po}: untranslated or fuzzy messages (${stats.trim()})`);
        }
    });

    it('every translation compiles and keeps the placeholders of its message', function () {
        for (const po of readdirSync(join(ROOT, 'po')).filter(f => f.endsWith('.po')))
            execFileSync('msgfmt', ['--check', '-o', '/dev/null', join(ROOT, 'po', po)]);
    });
});
