// Writes po/headroom.pot: every message of the modules that end up in extension.js and prefs.js, and the
// summaries and descriptions of the settings schema.
//
//   node tools/pot.mjs [OUTPUT]          (default po/headroom.pot)
//
// The TypeScript sources are read with TypeScript's own parser: xgettext 0.21's JavaScript lexer loses
// messages after some template literals (`${a} ×${b}`), and it has no TypeScript mode before 0.24.
// Messages are the string arguments of calls to `_`, `gettext` and `ngettext` (msgid, msgid_plural);
// `'a' + 'b'` counts as one string. A `// Translators:` comment just above a call goes into the file.
// The schema goes through xgettext's gsettings ITS rules (--join-existing).

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUGS = 'https://github.com/headroom/headroom/issues';
const KEYWORDS = new Map([['_', 1], ['gettext', 1], ['ngettext', 2]]);

/**
 * The source files bundled into the given entry points, relative to the repository, sorted.
 * @param {string[]} entryPoints
 * @returns {Promise<string[]>}
 */
export async function bundledSources(entryPoints) {
    const result = await build({
        entryPoints, bundle: true, write: false, metafile: true, outdir: 'out',
        format: 'esm', platform: 'neutral', logLevel: 'silent', absWorkingDir: ROOT,
        external: ['gi://*', 'resource://*', 'system', 'gettext', 'cairo'],
    });
    return Object.keys(result.metafile.inputs).filter(f => f.endsWith('.ts')).sort();
}

/** The string value of a literal or a `+` chain of literals; null for anything else. */
function literal(node) {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
        return node.text;
    if (ts.isParenthesizedExpression(node))
        return literal(node.expression);
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
        const left = literal(node.left);
        const right = literal(node.right);
        return left === null || right === null ? null : left + right;
    }
    return null;
}

/** `// Translators: …` lines directly above `line` (0-based), without the slashes. */
function translatorComment(lines, line) {
    const block = [];
    for (let i = line - 1; i >= 0 && /^\s*\/\//.test(lines[i]); i--)
        block.unshift(lines[i].replace(/^\s*\/\/\s?/, ''));
    const start = block.findIndex(l => l.startsWith('Translators:'));
    return start < 0 ? [] : block.slice(start);
}

/** @typedef {{ msgid: string, plural: string | null, references: string[], comments: string[] }} Message */

/**
 * The messages of TypeScript source texts, in order of first appearance; `problems` lists the calls
 * whose message is not a string literal.
 * @param {{ path: string, text: string }[]} sources
 * @returns {{ messages: Message[], problems: string[] }}
 */
export function extractMessages(sources) {
    /** @type {Map<string, Message>} */
    const entries = new Map();
    /** @type {string[]} */
    const problems = [];
    for (const { path, text } of sources) {
        const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
        const lines = text.split('\n');
        const visit = node => {
            if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && KEYWORDS.has(node.expression.text)) {
                const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
                const args = node.arguments.slice(0, KEYWORDS.get(node.expression.text)).map(literal);
                if (args.length === 0 || args.includes(null)) {
                    problems.push(`${path}:${line + 1}: ${node.getText(file).slice(0, 60)}`);
                } else {
                    const [msgid, plural = null] = args;
                    const key = `${msgid}\u0004${plural ?? ''}`;
                    const entry = entries.get(key) ?? { msgid, plural, references: [], comments: [] };
                    entry.references.push(`${path}:${line + 1}`);
                    for (const c of translatorComment(lines, line)) {
                        if (!entry.comments.includes(c))
                            entry.comments.push(c);
                    }
                    entries.set(key, entry);
                }
            }
            ts.forEachChild(node, visit);
        };
        visit(file);
    }
    return { messages: [...entries.values()], problems };
}

function quote(s) {
    return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\t/g, '\\t').replace(/\n/g, '\\n')}"`;
}

/** A PO string, split after each \n as xgettext does. */
function poString(keyword, s) {
    const parts = s.split(/(?<=\n)/);
    if (parts.length <= 1)
        return `${keyword} ${quote(s)}`;
    return [`${keyword} ""`, ...parts.map(quote)].join('\n');
}

/** Only %s, %d and %% in the message: translators' tools then check that a translation keeps them. */
function isFormat(s) {
    return /%[sd]/.test(s) && !/%(?![sd%])/.test(s.replace(/%%/g, ''));
}

/**
 * The entries as PO text; xgettext --join-existing adds the full header.
 * @param {Message[]} messages
 * @returns {string}
 */
export function formatPot(messages) {
    const blocks = messages.map(m => {
        const lines = m.comments.map(c => `#. ${c}`);
        lines.push(`#: ${m.references.join(' ')}`);
        if (isFormat(m.msgid) || (m.plural !== null && isFormat(m.plural)))
            lines.push('#, javascript-format');
        lines.push(poString('msgid', m.msgid));
        if (m.plural === null) {
            lines.push('msgstr ""');
        } else {
            lines.push(poString('msgid_plural', m.plural));
            lines.push('msgstr[0] ""', 'msgstr[1] ""');
        }
        return lines.join('\n');
    });
    const header = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"';
    return `${[header, ...blocks].join('\n\n')}\n`;
}

async function main() {
    const output = resolve(process.argv[2] ?? `${ROOT}/po/headroom.pot`);
    const files = await bundledSources(['src/extension.ts', 'src/prefs.ts']);
    const { messages, problems } = extractMessages(files.map(path => ({ path, text: readFileSync(`${ROOT}/${path}`, 'utf8') })));
    for (const p of problems)
        console.error(`pot: not a string literal, not extracted: ${p}`);
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, formatPot(messages));
    const schemas = readdirSync(`${ROOT}/schemas`).filter(f => f.endsWith('.gschema.xml')).map(f => `schemas/${f}`);
    const xgettext = spawnSync('xgettext', ['--join-existing', '--from-code=UTF-8', '--package-name=headroom',
        '--copyright-holder=the Headroom authors', `--msgid-bugs-address=${BUGS}`, '-o', output, ...schemas],
    { cwd: ROOT, encoding: 'utf8' });
    // xgettext 0.21 always warns that its gsettings rules are a fallback copy; that says nothing here.
    const noise = /fallback ITS rule file .* is used; it may not be in sync/;
    for (const line of (xgettext.stderr ?? '').split('\n').filter(l => l !== '' && !noise.test(l)))
        console.error(line);
    if (xgettext.status !== 0)
        throw new Error(`xgettext failed (${xgettext.error?.message ?? `status ${xgettext.status}`})`);
    const count = (readFileSync(output, 'utf8').match(/^msgid /gm)?.length ?? 1) - 1;
    console.log(`pot: ${relative(process.cwd(), output)}: ${count} messages ` +
        `(${messages.length} from ${files.length} modules, the rest from ${schemas.join(', ')})`);
    if (problems.length > 0)
        process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
    await main();
