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
