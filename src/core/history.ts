// The last minutes of the most urgent slice's pressure, for the menu's graph.

export interface HistoryPoint {
    /** Monotonic time, seconds. */
    time: number;
    /** full avg10, percent; null when it could not be read. */
    avg10: number | null;
}

export const HISTORY_SPAN_SEC = 600;

/** A bounded series: points older than the span fall off, so its size stays fixed over a day of ticks. */
export class PressureHistory {
    private _points: HistoryPoint[] = [];
    /** Limit and warning level of the slice the last point came from, percent. */
    limit = 80;
    warning = 40;

    constructor(private readonly _spanSec = HISTORY_SPAN_SEC) {}

    add(point: HistoryPoint, limit: number, warning: number): void {
        this._points.push(point);
        this.limit = limit;
        this.warning = warning;
        const cutoff = point.time - this._spanSec;
        let drop = 0;
        while (drop < this._points.length && (this._points[drop] as HistoryPoint).time < cutoff)
            drop++;
        if (drop > 0)
            this._points.splice(0, drop);
    }

    get points(): readonly HistoryPoint[] {
        return this._points;
    }

    get span(): number {
        return this._spanSec;
    }

    /**
     * What a graph `widthPx` wide shows of this history: the newest value, the limit and warning lines,
     * and the pixel column the newest point falls in (the curve moves a column every span/width
     * seconds). A graph needs repainting only when this changes: avg10 moves every 2 s at most, so
     * about every other sample rather than at each one.
     */
    signature(widthPx: number): string {
        const last = this._points.at(-1);
        const column = last ? Math.floor(last.time / (this._spanSec / Math.max(1, widthPx))) : -1;
        return `${column} ${last?.avg10 ?? ''} ${this.limit} ${this.warning} ${this._points.length > 1}`;
    }
}
