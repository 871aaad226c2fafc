// GioUnix (GLib 2.80+, so every supported GNOME) has no @girs package in this tree; this declares the
// one class the preferences use. Types only.
declare module 'gi://GioUnix' {
    import type Gio from 'gi://Gio';

    namespace GioUnix {
        class InputStream extends Gio.InputStream {
            constructor(properties: { fd: number; close_fd: boolean });
        }
    }
    export default GioUnix;
}
