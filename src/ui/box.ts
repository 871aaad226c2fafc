// Vertical St.BoxLayout on every supported GNOME: `orientation` exists since GNOME 48 (where `vertical`
// became deprecated), GNOME 51 removed `vertical`, and 46 and 47 know only `vertical`.

import Clutter from 'gi://Clutter';
import St from 'gi://St';

export function verticalBox(props: Partial<St.BoxLayout.ConstructorProps> = {}): St.BoxLayout {
    const direction = 'orientation' in St.BoxLayout.prototype
        ? { orientation: Clutter.Orientation.VERTICAL }
        : { vertical: true };
    return new St.BoxLayout({ ...props, ...direction });
}
