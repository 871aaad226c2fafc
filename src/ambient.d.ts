// Ambient types for GJS and GNOME Shell (types only; nothing here reaches the build output).
import '@girs/gjs';
import '@girs/gjs/dom';
import '@girs/gnome-shell/ambient';
import '@girs/gnome-shell/extensions/global';

// @girs/gnome-shell 48.0.4 augments '@girs/clutter-16', whose index only re-exports a default, so
// GNOME Shell's Actor.ease() is invisible to TypeScript. Augment the real module instead.
declare module '@girs/clutter-16/clutter-16' {
    namespace Clutter {
        interface Actor {
            ease(params: {
                duration?: number;
                delay?: number;
                mode?: AnimationMode;
                opacity?: number;
                onComplete?: () => void;
                onStopped?: (finished: boolean) => void;
            }): void;
        }
    }
}

// GNOME Shell patches connectObject/disconnectObject onto GObject.Object; typed only from 49.x.
declare module '@girs/gobject-2.0/gobject-2.0' {
    namespace GObject {
        interface Object {
            connectObject(...args: unknown[]): void;
            disconnectObject(obj: object): void;
        }
    }
}
