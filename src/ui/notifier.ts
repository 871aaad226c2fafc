// Headroom's notifications: one MessageTray source, one pre-kill notification per episode updated in
// place, and a notification after each kill. It shows what the episode logic (src/core/episode.ts)
// decides; the actions it offers are the menu's own callbacks.

import type Gio from 'gi://Gio';

import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import * as MessageTray from 'resource:///org/gnome/shell/ui/messageTray.js';

import { _ } from '../core/i18n.js';

export interface NotificationAction {
    label: string;
    run: () => void;
}

export class Notifier {
    private _source: MessageTray.Source | null = null;
    private _notice: MessageTray.Notification | null = null;

    constructor(private readonly _icon: Gio.Icon) {}

    /** The pre-kill warning: critical, so it stays until the user or the episode ends it. */
    showWarning(title: string, body: string, actions: NotificationAction[]): void {
        this.withdrawWarning();
        const notification = this._notify(title, body, MessageTray.Urgency.CRITICAL, actions);
        notification.connect('destroy', () => {
            if (this._notice === notification)
                this._notice = null;
        });
        this._notice = notification;
    }

    /** Updates the warning in place; if the user dismissed it, it stays dismissed. */
    updateWarning(title: string, body: string): void {
        if (!this._notice)
            return;
        this._notice.title = title;
        this._notice.body = body;
    }

    withdrawWarning(): void {
        this._notice?.destroy(MessageTray.NotificationDestroyedReason.SOURCE_CLOSED);
        this._notice = null;
    }

    /**
     * After a kill (what was stopped and why), or a failed action. Returns a function that replaces the
     * body in place (news that came later); a notification the user dismissed stays dismissed.
     */
    showMessage(title: string, body: string): (body: string) => void {
        const notification = this._notify(title, body, MessageTray.Urgency.HIGH, []);
        let gone = false;
        notification.connect('destroy', () => {
            gone = true;
        });
        return text => {
            if (!gone)
                notification.body = text;
        };
    }

    destroy(): void {
        this._source?.destroy(MessageTray.NotificationDestroyedReason.SOURCE_CLOSED);
        this._source = null;
        this._notice = null;
    }

    private _notify(title: string, body: string, urgency: MessageTray.Urgency,
        actions: NotificationAction[]): MessageTray.Notification {
        const source = this._getSource();
        const notification = new MessageTray.Notification({ source, title, body, urgency });
        for (const action of actions)
            notification.addAction(action.label, action.run);
        source.addNotification(notification);
        return notification;
    }

    private _getSource(): MessageTray.Source {
        if (!this._source) {
            // The tray destroys a source when its last notification goes; a new one is made when needed.
            const source = new MessageTray.Source({ title: _('Headroom'), icon: this._icon });
            source.connect('destroy', () => {
                if (this._source === source)
                    this._source = null;
            });
            Main.messageTray.add(source);
            this._source = source;
        }
        return this._source;
    }
}
