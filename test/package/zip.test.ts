// The zip that `make pack` writes, as extensions.gnome.org and `gnome-extensions install` receive it:
// its exact file list, readable code, metadata, schema and catalogues, and the review rules on the
// shipped extension.js and prefs.js.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { checkBundle } from '../../tools/review-check.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const UUID = 'headroom@headroom.github.io';
const SCHEMA_ID = 'org.gnome.shell.extensions.headroom';
const ZIP = process.env.HEADROOM_ZIP ?? join(ROOT, 'dist', `${UUID}.shell-extension.zip`);
const SHELL_VERSIONS = ['46', '47', '48', '49', '50', '51'];

/** The languages of po/LINGUAS. */
function linguas(): string[] {
    return readFileSync(join(ROOT, 'po', 'LINGUAS'), 'utf8').split('\n')
        .map(line => line.replace(/#.*/, '').trim()).filter(line => line !== '');
}

describe('the packed zip', function () {
    let dir = '';
    let files: string[] = [];
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');

    before(function () {
        assert.ok(existsSync(ZIP), `${ZIP} is missing: run make pack`);
        dir = mkdtempSync(join(tmpdir(), 'headroom-package-'));
        execFileSync('unzip', ['-q', ZIP, '-d', dir]);
        files = execFileSync('unzip', ['-Z1', ZIP], { encoding: 'utf8' })
            .split('\n').filter(name => name !== '' && !name.endsWith('/')).sort();
    });

    after(function () {
        if (dir)
            rmSync(dir, { recursive: true, force: true });
    });

    it('holds exactly the extension\'s files, at its root', function () {
        const expected = [
            'extension.js',
            'icons/headroom-symbolic.svg',
            'metadata.json',
            'prefs.js',
            `schemas/${SCHEMA_ID}.gschema.xml`,
            'stylesheet.css',
            ...linguas().map(lang => `locale/${lang}/LC_MESSAGES/headroom.mo`),
        ].sort();
        assert.deepEqual(files, expected);
    });

    it('ships nothing from the build, the tests or npm', function () {
        const unwanted = /\.(ts|map|po|pot|mjs|compiled)$|node_modules|package(-lock)?\.json|Makefile|build\.mjs|tsconfig|eslint|(^|\/)(src|test|tools|po|dist)\/|cli\.js|harness|^\./;
        assert.deepEqual(files.filter(name => unwanted.test(name)), []);
    });

    for (const name of ['extension.js', 'prefs.js']) {
        it(`ships ${name} as readable code: not minified, only Headroom's own modules`, function () {
            const text = read(name);
            const lines = text.split('\n');
            const longest = Math.max(...lines.map(l => l.length));
            const indented = lines.filter(l => /^\s+\S/.test(l)).length / lines.length;
            assert.ok(longest <= 400, `${name}: a line of ${longest} characters`);
            assert.ok(text.length / lines.length <= 80, `${name}: ${Math.round(text.length / lines.length)} characters a line on average`);
            assert.ok(indented >= 0.5, `${name}: only ${Math.round(indented * 100)}% of the lines are indented`);
            assert.doesNotMatch(text, /^\/\/ node_modules\//m, `${name} bundles npm code`);
            assert.doesNotMatch(text, /sourceMappingURL/, `${name} points to a source map`);
            assert.doesNotMatch(text, /org\.gnome\.Shell\.E2E|e2e-harness/, `${name} contains the e2e harness`);
        });
    }

    it('describes itself in metadata.json as extensions.gnome.org asks', function () {
        const metadata = JSON.parse(read('metadata.json')) as Record<string, unknown>;
        assert.equal(metadata.uuid, UUID);
        assert.match(UUID, /^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$/);
        assert.equal(typeof metadata.name, 'string');
        assert.equal(typeof metadata.description, 'string');
        assert.deepEqual(metadata['shell-version'], SHELL_VERSIONS);
        assert.equal(metadata['settings-schema'], SCHEMA_ID);
        assert.equal(metadata['gettext-domain'], 'headroom');
        assert.match(String(metadata.url), /^https:\/\/github\.com\/[^/]+\/[^/]+$/);
        assert.ok(!('version' in metadata), 'extensions.gnome.org sets "version" itself');
        assert.ok(!('session-modes' in metadata), 'only the user session: no "session-modes"');
    });

    it('ships a schema that compiles, under the extension path, every key explained', function () {
        execFileSync('glib-compile-schemas', ['--strict', '--dry-run', join(dir, 'schemas')]);
        const xml = read(`schemas/${SCHEMA_ID}.gschema.xml`);
        assert.match(xml, new RegExp(`<schema id="${SCHEMA_ID.replace(/\./g, '\\.')}" path="/org/gnome/shell/extensions/headroom/">`));
        assert.match(xml, /<schemalist gettext-domain="headroom">/);
        const keys = [...xml.matchAll(/<key name="([^"]+)"([^>]*)>([\s\S]*?)<\/key>/g)];
        assert.ok(keys.length > 0);
        for (const [, name, attributes, body] of keys) {
            assert.match(body as string, /<summary>[^<]+<\/summary>/, `${name as string} has no summary`);
            assert.match(body as string, /<description>[^<]+<\/description>/, `${name as string} has no description`);
            if (/type="[iux]"/.test(attributes as string))
                assert.match(body as string, /<range min="-?\d+" max="-?\d+"\/>/, `${name as string} has no range`);
        }
    });

    it('ships a compiled catalogue for each language of po/LINGUAS', function () {
        for (const lang of linguas()) {
            const mo = readFileSync(join(dir, 'locale', lang, 'LC_MESSAGES', 'headroom.mo'));
            assert.ok(mo.length > 28, `${lang}: empty catalogue`);
            assert.equal(mo.readUInt32LE(0), 0x950412de, `${lang}: not a GNU .mo file`);
        }
    });

    it('follows the review rules a script can check', function () {
        const findings = [
            ...checkBundle(read('extension.js'), 'extension', 'extension.js'),
            ...checkBundle(read('prefs.js'), 'prefs', 'prefs.js'),
        ].map(f => `${f.file}:${f.line}: ${f.rule}: ${f.message}`);
        assert.deepEqual(findings, []);
    });
});
