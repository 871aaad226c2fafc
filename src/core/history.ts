// The last minutes of the most urgent slice's pressure, for the menu's graph.

export interface HistoryPoint {
    /** Monotonic time, seconds. */
    time: number;
    /** full avg10, percent; null when it could not be read. */
    avg10: number | null;
}

export const HISTORY_SPAN_SEC = 600;
/** The kernel recomputes a cgroup's avg10 this often (PSI_FREQ). */
const AVG10_PERIOD_SEC = 2;

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
     * What a graph `widthPx` wide shows of this history; a graph needs repainting only when this changes.
     * It always holds the limit and warning lines, drawn at once when they change. The kernel recomputes
     * avg10 every 2 s, so a graph whose pixel columns are 2 s or wider shows the newest value and the
     * column it falls in (the curve moves a column every span/width seconds). A wider graph, whose
     * columns are narrower than that, moves and shows a new value once per 2 s step of the newest point's
     * time, not at every sample: a value read in the middle of a step is drawn at the next one.
     */
    signature(widthPx: number): string {
        const last = this._points.at(-1);
        const lines = `${this.limit} ${this.warning} ${this._points.length > 1}`;
        if (!last)
            return `- ${lines}`;
        const columnSec = this._spanSec / Math.max(1, widthPx);
        if (columnSec < AVG10_PERIOD_SEC)
            return `${Math.floor(last.time / AVG10_PERIOD_SEC)} ${lines}`;
        return `${Math.floor(last.time / columnSec)} ${last.avg10 ?? ''} ${lines}`;
    }
}
