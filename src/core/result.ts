// A parse or read either succeeds with a value or fails with a reason a person can read.
export type Result<T, E = Failure> = { ok: true; value: T } | { ok: false; error: E };

export interface Failure {
    /** A short, stable code for programs and tests. */
    code: string;
    /** The reason in words, shown to the user. */
    message: string;
}

export function ok<T>(value: T): { ok: true; value: T } {
    return { ok: true, value };
}

export function fail(code: string, message: string): { ok: false; error: Failure } {
    return { ok: false, error: { code, message } };
}

/** The non-blank lines of a file's text, trimmed. */
export function contentLines(text: string): string[] {
    return text.split('\n').map(l => l.trim()).filter(l => l !== '');
}

/** A line quoted in an error message, cut to a readable length. */
export function excerpt(line: string): string {
    return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
