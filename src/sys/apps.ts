// The shell's knowledge of installed and running apps: names and icons for the menu's rows.

import type Gio from 'gi://Gio';
import Shell from 'gi://Shell';

export interface AppInfo {
    name: string;
    icon: Gio.Icon | null;
}

/** Looks up a desktop id (without .desktop); null when no .desktop file has it. */
export function lookupApp(appId: string): AppInfo | null {
    const app = Shell.AppSystem.get_default().lookup_app(`${appId}.desktop`);
    if (!app)
        return null;
    return { name: app.get_name(), icon: app.get_icon() };
}

/** Asks an app to quit the way closing its windows would. False when no running app has that id. */
export function requestQuit(appId: string): boolean {
    const app = Shell.AppSystem.get_default().lookup_app(`${appId}.desktop`);
    if (!app || app.get_state() === Shell.AppState.STOPPED)
        return false;
    return app.request_quit();
}
