// Translation hook for the few words that core code produces (level names, slice names), so the
// extension, its preferences and the command-line tool say the same thing. The extension installs
// its gettext functions on enable() and removes them on disable(); Node tests and the CLI use English.

export interface Translator {
    gettext(msgid: string): string;
    ngettext(msgid: string, plural: string, n: number): string;
}

const ENGLISH: Translator = {
    gettext: msgid => msgid,
    ngettext: (msgid, plural, n) => (n === 1 ? msgid : plural),
};

let current: Translator = ENGLISH;

export function setTranslator(translator: Translator | null): void {
    current = translator ?? ENGLISH;
}

export function _(msgid: string): string {
    return current.gettext(msgid);
}

export function ngettext(msgid: string, plural: string, n: number): string {
    return current.ngettext(msgid, plural, n);
}

/**
 * Puts values into the %s places of a (translated) template, in order and literally: a name holding
 * "$&" or "%s" stays as it is (String.replace with a string reads "$" patterns in it, and a second
 * replace would find a "%s" inside the first value).
 */
export function fill(template: string, ...values: string[]): string {
    let next = 0;
    return template.replace(/%s/g, place => values[next++] ?? place);
}
