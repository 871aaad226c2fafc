// Runs an asynchronous task one at a time. A request while it runs is not lost and not doubled: the
// task runs once more when the current run ends. Used for samples and scans, whose reads must never
// pile up when the system is slow.

export class SerialTask {
    private _running = false;
    private _again = false;

    /** `idle` is called when a run ends and no other was requested meanwhile. */
    constructor(private readonly _task: () => Promise<void>, private readonly _idle: () => void = () => undefined) {}

    request(): void {
        if (this._running) {
            this._again = true;
            return;
        }
        this._running = true;
        void this._task().then(() => {
            this._running = false;
            if (this._again) {
                this._again = false;
                this.request();
            } else {
                this._idle();
            }
        });
    }

    get running(): boolean {
        return this._running;
    }
}
