// The last ten minutes of the most urgent slice's full avg10, with its oomd limit and the warning band,
// drawn with cairo. Colours come from the stylesheet (.headroom-graph).

import GObject from 'gi://GObject';
import St from 'gi://St';

import * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';

import type { PressureHistory } from '../core/history.js';
import { _ } from '../core/i18n.js';
import { verticalBox } from './box.js';

type Rgba = [number, number, number, number];

export class PressureGraph extends PopupMenu.PopupBaseMenuItem {
    static {
        GObject.registerClass(this);
    }

    private readonly _area: St.DrawingArea;
    private _history: PressureHistory | null = null;
    /** What the last repaint showed (PressureHistory.signature); a plot that changes nothing is not drawn. */
    private _shown = '';

    constructor() {
        super({ reactive: false, activate: false, can_focus: false, style_class: 'headroom-graph-item' });
        const box = verticalBox({ x_expand: true });
        box.add_child(new St.Label({ text: _('Last 10 minutes'), style_class: 'headroom-detail' }));
        this._area = new St.DrawingArea({ style_class: 'headroom-graph', x_expand: true });
        this._area.accessible_name = _('Graph of memory pressure over the last 10 minutes');
        this._area.connect('repaint', area => this._draw(area));
        box.add_child(this._area);
        this.add_child(box);
    }

    plot(history: PressureHistory): void {
        this._history = history;
        // Before the first allocation the width is 0: any width gives a signature that differs later.
        const shown = history.signature(this._area.width);
        if (shown === this._shown)
            return;
        this._shown = shown;
        this._area.queue_repaint();
    }

    private _draw(area: St.DrawingArea): void {
        const history = this._history;
        const node = area.get_theme_node();
        const color = (name: string, fallback: Rgba): Rgba => {
            const [found, c] = node.lookup_color(name, false);
            return found ? [c.red / 255, c.green / 255, c.blue / 255, c.alpha / 255] : fallback;
        };
        const fg = node.get_foreground_color();
        const line: Rgba = [fg.red / 255, fg.green / 255, fg.blue / 255, 1];
        const limitColor = color('-headroom-limit-color', [0.88, 0.11, 0.14, 1]);
        const bandColor = color('-headroom-warning-color', [0.96, 0.83, 0.18, 0.25]);

        const [width, height] = area.get_surface_size();
        const cr = area.get_context();
        const y = (percent: number) => height - (Math.min(100, Math.max(0, percent)) / 100) * height;

        if (history) {
            // The warning band: from the warning level up to the limit.
            cr.setSourceRGBA(...bandColor);
            cr.rectangle(0, y(history.limit), width, y(history.warning) - y(history.limit));
            cr.fill();

            cr.setSourceRGBA(...limitColor);
            cr.setLineWidth(1);
            cr.moveTo(0, Math.round(y(history.limit)) + 0.5);
            cr.lineTo(width, Math.round(y(history.limit)) + 0.5);
            cr.stroke();

            const points = history.points;
            const last = points.at(-1);
            if (last) {
                const x = (time: number) => width - ((last.time - time) / history.span) * width;
                cr.setSourceRGBA(...line);
                cr.setLineWidth(1.5);
                let drawing = false;
                for (const p of points) {
                    if (p.avg10 === null) {
                        drawing = false;
                        continue;
                    }
                    if (drawing)
                        cr.lineTo(x(p.time), y(p.avg10));
                    else
                        cr.moveTo(x(p.time), y(p.avg10));
                    drawing = true;
                }
                cr.stroke();
            }
        }
        cr.$dispose();
    }
}

