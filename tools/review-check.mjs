// Checks the built extension.js and prefs.js against the extensions.gnome.org review rules that a script
// can see. The bundles are flat (esbuild inlines Headroom's own modules), so their import specifiers are
// everything that the extension and its preferences load.
//
//   node tools/review-check.mjs [DIR]      (default dist; exit status 1 when a rule is broken)
//
// Rules:
//   shell-side-import     extension.js imports no Gtk, Gdk or Adw, nor the preferences' own modules
//   prefs-side-import     prefs.js imports no shell module (resource:///org/gnome/shell/…) and no St,
//                         Clutter, Meta, Shell, Mtk or Cogl
//   pinned-shell-library  no ?version= on a library whose version changes with each GNOME release (St,
//                         Clutter, Meta, Shell, Mtk, Cogl): a pin works on one release only
//   sync-subprocess       no GLib.spawn_sync, spawn_command_line_sync, and no synchronous waits on a
//                         Gio.Subprocess (communicate_sync, communicate_utf8_sync, wait_sync, wait_check_sync)
//   command-line          no GLib.spawn_command_line_async: it parses a command line; pass an argv array
//   shell-command         no argv that runs a shell (`sh -c`, `/bin/bash -c`, …)
//   deprecated-module     no Lang, Mainloop, ByteArray, and no legacy `imports.` object at all
//   import-time-work      module scope only declares: imports and exports; function and class declarations;
//                         variables initialised with literals, other constants, arithmetic on them, array and
//                         object literals of those, functions, classes, Object.freeze/fromEntries, Symbol(),
//                         and new Map/Set/WeakMap/WeakSet/TextDecoder/TextEncoder/RegExp. Nothing else runs.
//                         A class's static members follow the same rule; a static block may only register
//                         the class with GObject.registerClass. Registering a GType is a declaration: it
//                         makes no instance, connects no signal, adds no main-loop source, and GNOME Shell's
//                         own modules and accepted extensions do it at module scope.
//   constructor-work      the Extension subclass (extension.js's default export) sets only static data in its
//                         constructor and field initialisers: everything else belongs in enable()
//   removed-api           no API that a supported release lacks (Clutter.get_default_backend: gone in 51)

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SHELL_LIBRARIES = /^gi:\/\/(St|Clutter|Meta|Shell|Mtk|Cogl)(\?|$)/;
const GTK_LIBRARIES = /^gi:\/\/(Gtk|Gdk|Adw)(\?|$)/;
const SHELL_MODULES = /^resource:\/\/\/org\/gnome\/shell\//;
const PREFS_MODULES = /^resource:\/\/\/org\/gnome\/Shell\/Extensions\//;
const SYNC_SUBPROCESS = new Set(['spawn_sync', 'spawn_command_line_sync', 'communicate_sync',
    'communicate_utf8_sync', 'wait_sync', 'wait_check_sync']);
const DEPRECATED = new Set(['Lang', 'Mainloop', 'ByteArray']);
const SHELLS = /^(\/usr)?(\/bin\/)?(sh|bash|dash|zsh|ksh|mksh|csh|tcsh|fish)$/;
const REMOVED = new Map([['get_default_backend', 'Clutter.get_default_backend() is gone in GNOME 51']]);
const PURE_CONSTRUCTORS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'TextDecoder', 'TextEncoder', 'RegExp']);
const PURE_CALLS = new Set(['Object.freeze', 'Object.fromEntries', 'Symbol', 'Symbol.for']);

/** @typedef {{ file: string, line: number, rule: string, message: string }} Finding */

/**
 * The rule violations in one bundle.
 * @param {string} text the bundle's code
 * @param {'extension' | 'prefs'} role which process loads it
 * @param {string} [name] the file name used in the findings
 * @returns {Finding[]}
 */
export function checkBundle(text, role, name = `${role}.js`) {
    const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    /** @type {Finding[]} */
    const findings = [];
    const report = (node, rule, message) => findings.push({
        file: name, line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1, rule, message,
    });

    for (const { node, specifier } of importSpecifiers(file))
        checkImport(node, specifier, role, report);
    walk(file, node => checkNode(node, report));
    for (const statement of file.statements)
        checkTopLevel(statement, report);
    if (role === 'extension')
        checkExtensionClass(file, report);
    return findings;
}

function importSpecifiers(file) {
    const found = [];
    walk(file, node => {
        if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier &&
            ts.isStringLiteral(node.moduleSpecifier))
            found.push({ node, specifier: node.moduleSpecifier.text });
        else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
            node.arguments[0] && ts.isStringLiteralLike(node.arguments[0]))
            found.push({ node, specifier: node.arguments[0].text });
    });
    return found;
}

function checkImport(node, specifier, role, report) {
    if (role === 'extension' && GTK_LIBRARIES.test(specifier))
        report(node, 'shell-side-import', `${specifier}: Gtk, Gdk and Adw must not be loaded into GNOME Shell`);
    if (role === 'extension' && PREFS_MODULES.test(specifier))
        report(node, 'shell-side-import', `${specifier}: a preferences module, not available in the shell`);
    if (role === 'prefs' && (SHELL_MODULES.test(specifier) || SHELL_LIBRARIES.test(specifier)))
        report(node, 'prefs-side-import', `${specifier}: a shell module; preferences run in a separate process`);
    if (SHELL_LIBRARIES.test(specifier) && specifier.includes('?version='))
        report(node, 'pinned-shell-library', `${specifier}: the version of this library changes with each GNOME release`);
}

function walk(node, visit) {
    visit(node);
    ts.forEachChild(node, child => walk(child, visit));
}

function checkNode(node, report) {
    if (ts.isPropertyAccessExpression(node)) {
        const member = node.name.text;
        if (SYNC_SUBPROCESS.has(member))
            report(node, 'sync-subprocess', `${member}: waits for a subprocess and blocks the main loop`);
        if (member === 'spawn_command_line_async')
            report(node, 'command-line', 'spawn_command_line_async: parses a command line; use Gio.Subprocess with an argv array');
        if (REMOVED.has(member))
            report(node, 'removed-api', REMOVED.get(member));
        if (ts.isIdentifier(node.expression) && node.expression.text === 'imports')
            report(node, 'deprecated-module', `imports.${member}: the legacy imports object; use ES module imports`);
    }
    if (ts.isIdentifier(node) && DEPRECATED.has(node.text) && !isPropertyName(node))
        report(node, 'deprecated-module', `${node.text}: a deprecated GJS module`);
    if (ts.isArrayLiteralExpression(node)) {
        const words = node.elements.filter(ts.isStringLiteralLike).map(e => e.text);
        if (words.some(w => SHELLS.test(w)) && words.includes('-c'))
            report(node, 'shell-command', `[${words.join(', ')}]: runs a shell; run the program directly`);
    }
}

function isPropertyName(node) {
    const parent = node.parent;
    return (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        (ts.isPropertyAssignment(parent) && parent.name === node) ||
        (ts.isMethodDeclaration(parent) && parent.name === node) ||
        (ts.isPropertyDeclaration(parent) && parent.name === node);
}

// ---- work at import time -----------------------------------------------------------------------------

function checkTopLevel(statement, report) {
    if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement) || ts.isEmptyStatement(statement) ||
        ts.isFunctionDeclaration(statement))
        return;
    if (ts.isExportAssignment(statement)) {
        checkStatic(statement.expression, report);
        return;
    }
    if (ts.isClassDeclaration(statement)) {
        checkClass(statement, report);
        return;
    }
    if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
            if (declaration.initializer)
                checkStatic(declaration.initializer, report);
        }
        return;
    }
    if (ts.isExpressionStatement(statement) && isRegistration(statement.expression))
        return;
    report(statement, 'import-time-work', `runs at import time: ${excerpt(statement)}`);
}

/** Reports the parts of an expression that would do work when evaluated at module scope. */
function checkStatic(node, report) {
    if (ts.isParenthesizedExpression(node) || ts.isSpreadElement(node) || ts.isSpreadAssignment(node) ||
        ts.isComputedPropertyName(node)) {
        checkStatic(node.expression, report);
    } else if (ts.isLiteralExpression(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isIdentifier(node) ||
        [ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword, ts.SyntaxKind.NullKeyword,
            ts.SyntaxKind.ThisKeyword].includes(node.kind) ||
        ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
        // Values, references to other declarations, and functions (their bodies run later).
    } else if (ts.isTemplateExpression(node)) {
        for (const span of node.templateSpans)
            checkStatic(span.expression, report);
    } else if (ts.isPropertyAccessExpression(node)) {
        checkStatic(node.expression, report);
    } else if (ts.isElementAccessExpression(node)) {
        checkStatic(node.expression, report);
        checkStatic(node.argumentExpression, report);
    } else if (ts.isPrefixUnaryExpression(node) || ts.isVoidExpression(node) || ts.isTypeOfExpression(node)) {
        checkStatic(node.operand ?? node.expression, report);
    } else if (ts.isBinaryExpression(node) && !isAssignment(node.operatorToken.kind)) {
        checkStatic(node.left, report);
        checkStatic(node.right, report);
    } else if (ts.isConditionalExpression(node)) {
        checkStatic(node.condition, report);
        checkStatic(node.whenTrue, report);
        checkStatic(node.whenFalse, report);
    } else if (ts.isArrayLiteralExpression(node)) {
        for (const element of node.elements)
            checkStatic(element, report);
    } else if (ts.isObjectLiteralExpression(node)) {
        for (const property of node.properties) {
            if (property.name && ts.isComputedPropertyName(property.name))
                checkStatic(property.name, report);
            if (ts.isPropertyAssignment(property))
                checkStatic(property.initializer, report);
            else if (ts.isSpreadAssignment(property))
                checkStatic(property.expression, report);
        }
    } else if (ts.isClassExpression(node)) {
        checkClass(node, report);
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && PURE_CONSTRUCTORS.has(node.expression.text)) {
        for (const argument of node.arguments ?? [])
            checkStatic(argument, report);
    } else if (ts.isCallExpression(node) && (PURE_CALLS.has(node.expression.getText()) || isRegistration(node) ||
        isParamSpec(node))) {
        for (const argument of node.arguments)
            checkStatic(argument, report);
    } else {
        report(node, 'import-time-work', `runs at import time: ${excerpt(node)}`);
    }
}

function isAssignment(kind) {
    return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** `GObject.registerClass(…)` (esbuild may rename the namespace GObject2, GObject3, …). */
function isRegistration(node) {
    return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) &&
        node.expression.name.text === 'registerClass' && /^GObject\d*$/.test(node.expression.expression.getText());
}

/** `GObject.ParamSpec.string(…)` and friends: property declarations of a GObject class. */
function isParamSpec(node) {
    return ts.isPropertyAccessExpression(node.expression) &&
        /^GObject\d*\.ParamSpec$/.test(node.expression.expression.getText());
}

function checkClass(node, report) {
    for (const clause of node.heritageClauses ?? []) {
        for (const type of clause.types)
            checkStatic(type.expression, report);
    }
    for (const member of node.members) {
        const isStatic = ts.canHaveModifiers(member) &&
            (ts.getModifiers(member) ?? []).some(m => m.kind === ts.SyntaxKind.StaticKeyword);
        if (member.name && ts.isComputedPropertyName(member.name))
            checkStatic(member.name, report);
        if (ts.isPropertyDeclaration(member) && isStatic && member.initializer) {
            checkStatic(member.initializer, report);
        } else if (ts.isClassStaticBlockDeclaration(member)) {
            for (const statement of member.body.statements) {
                if (!(ts.isExpressionStatement(statement) && isRegistration(statement.expression)))
                    report(statement, 'import-time-work', `a static block runs at import time: ${excerpt(statement)}`);
            }
        }
    }
}

// ---- the Extension object before enable() ----------------------------------------------------------------

function checkExtensionClass(file, report) {
    const name = defaultExportName(file);
    const cls = name && findClass(file, name);
    if (!cls)
        return;
    for (const member of cls.members) {
        const isStatic = ts.canHaveModifiers(member) &&
            (ts.getModifiers(member) ?? []).some(m => m.kind === ts.SyntaxKind.StaticKeyword);
        if (ts.isPropertyDeclaration(member) && !isStatic && member.initializer)
            checkConstructorValue(member.initializer, report);
        if (ts.isConstructorDeclaration(member) && member.body) {
            for (const statement of member.body.statements)
                checkConstructorStatement(statement, report);
        }
    }
}

function checkConstructorStatement(statement, report) {
    if (ts.isExpressionStatement(statement)) {
        const e = statement.expression;
        if (ts.isCallExpression(e) && e.expression.kind === ts.SyntaxKind.SuperKeyword)
            return;
        if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
            ts.isPropertyAccessExpression(e.left) && e.left.expression.kind === ts.SyntaxKind.ThisKeyword) {
            checkConstructorValue(e.right, report);
            return;
        }
    }
    report(statement, 'constructor-work', `the extension's constructor does work before enable(): ${excerpt(statement)}`);
}

function checkConstructorValue(node, report) {
    const inner = [];
    checkStatic(node, (n, _rule, message) => inner.push([n, message]));
    for (const [n] of inner)
        report(n, 'constructor-work', `set up before enable(): ${excerpt(n)}`);
}

function defaultExportName(file) {
    for (const statement of file.statements) {
        if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
            const element = statement.exportClause.elements.find(e => e.name.text === 'default');
            if (element)
                return (element.propertyName ?? element.name).text;
        }
        if (ts.isExportAssignment(statement) && ts.isIdentifier(statement.expression))
            return statement.expression.text;
        if (ts.isClassDeclaration(statement) && statement.name &&
            (ts.getModifiers(statement) ?? []).some(m => m.kind === ts.SyntaxKind.DefaultKeyword))
            return statement.name.text;
    }
    return null;
}

function findClass(file, name) {
    for (const statement of file.statements) {
        if (ts.isClassDeclaration(statement) && statement.name?.text === name)
            return statement;
        if (ts.isVariableStatement(statement)) {
            for (const d of statement.declarationList.declarations) {
                if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer && ts.isClassExpression(d.initializer))
                    return d.initializer;
            }
        }
    }
    return null;
}

function excerpt(node) {
    const text = node.getText().replace(/\s+/g, ' ');
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function main() {
    const dir = process.argv[2] ?? 'dist';
    const findings = [
        ...checkBundle(readFileSync(`${dir}/extension.js`, 'utf8'), 'extension', `${dir}/extension.js`),
        ...checkBundle(readFileSync(`${dir}/prefs.js`, 'utf8'), 'prefs', `${dir}/prefs.js`),
    ];
    for (const f of findings)
        console.log(`${f.file}:${f.line}: ${f.rule}: ${f.message}`);
    console.log(findings.length === 0
        ? `review-check: ${dir}/extension.js and ${dir}/prefs.js follow the rules`
        : `review-check: ${findings.length} problem(s)`);
    process.exitCode = findings.length === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
    main();
