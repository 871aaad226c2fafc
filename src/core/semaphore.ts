// Bounds how many asynchronous tasks run at once, so a large tree does not flood GIO's thread pool.

export class Semaphore {
    private _free: number;
    private readonly _waiting: (() => void)[] = [];

    constructor(size: number) {
        this._free = size;
    }

    async run<T>(task: () => Promise<T>): Promise<T> {
        if (this._free > 0)
            this._free--;
        else
            await new Promise<void>(resolve => this._waiting.push(resolve));
        try {
            return await task();
        } finally {
            const next = this._waiting.shift();
            if (next)
                next();
            else
                this._free++;
        }
    }
}
