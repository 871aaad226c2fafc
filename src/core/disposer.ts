// The one cleanup mechanism: everything that enable() creates registers how to undo itself here, and
// disable() runs it all, newest first. A failing step is reported and does not stop the rest.

export class Disposer {
    private _steps: (() => void)[] = [];

    constructor(private readonly _report: (error: unknown) => void = () => undefined) {}

    /** Registers an undo step; returns it so it can also be run early with `run()`. */
    defer(step: () => void): () => void {
        this._steps.push(step);
        return step;
    }

    /** A nested disposer whose steps run when this one is disposed, or earlier on its own. */
    child(): Disposer {
        const child = new Disposer(this._report);
        const step = this.defer(() => child.dispose());
        child.defer(() => this.forget(step));
        return child;
    }

    /** Runs one registered step now and removes it. */
    run(step: () => void): void {
        this.forget(step);
        step();
    }

    dispose(): void {
        const steps = this._steps.reverse();
        this._steps = [];
        for (const step of steps) {
            try {
                step();
            } catch (error) {
                // Undoing one thing must not leave the others behind.
                this._report(error);
            }
        }
    }

    get size(): number {
        return this._steps.length;
    }

    private forget(step: () => void): void {
        const i = this._steps.lastIndexOf(step);
        if (i >= 0)
            this._steps.splice(i, 1);
    }
}
