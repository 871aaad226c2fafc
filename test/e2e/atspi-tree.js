// Test-only (never shipped): prints the accessibility tree of one application's windows as JSON, for
// Headroom's e2e tests to find GTK widgets in another process (the preferences window) and click them
// with a real pointer. Runs inside the session: gjs -m atspi-tree.js APP_NAME
// Output: [{depth, role, name, x, y, width, height, states}] in depth-first order; x/y are relative to the
// window's frame (Atspi.CoordType.WINDOW: on Wayland a client knows no screen position), so the caller
// adds the frame rect that mutter reports. Nodes with neither a name nor an interesting role are left out.
// Only the named application is walked: asking gnome-shell itself for extents logs CRITICALs.
import Atspi from 'gi://Atspi';

const ROLES = new Set(['frame', 'dialog', 'combo box', 'list', 'list item', 'push button', 'button', 'toggle button',
    'switch', 'check box', 'page tab', 'label', 'spin button', 'text', 'menu item']);
const STATES = ['showing', 'visible', 'checked', 'selected', 'focused', 'expanded', 'sensitive'];

const [appName] = ARGV;
Atspi.init();
const desktop = Atspi.get_desktop(0);
const out = [];

function walk(node, depth) {
    if (depth > 60)
        return;
    const role = node.get_role_name();
    const name = node.get_name() ?? '';
    if (name !== '' || ROLES.has(role)) {
        let box = null;
        try {
            box = node.get_extents(Atspi.CoordType.WINDOW);
        } catch {
            // no Component interface: no position
        }
        const set = node.get_state_set();
        out.push({
            depth, role, name,
            x: box?.x ?? null, y: box?.y ?? null, width: box?.width ?? null, height: box?.height ?? null,
            states: STATES.filter(s => set.contains(Atspi.StateType[s.toUpperCase()])),
        });
    }
    const n = node.get_child_count();
    for (let i = 0; i < n; i++) {
        const child = node.get_child_at_index(i);
        if (child)
            walk(child, depth + 1);
    }
}

for (let i = 0; i < desktop.get_child_count(); i++) {
    const app = desktop.get_child_at_index(i);
    if (app?.get_name() !== appName)
        continue;
    for (let j = 0; j < app.get_child_count(); j++)
        walk(app.get_child_at_index(j), 0);
}
print(JSON.stringify(out));
