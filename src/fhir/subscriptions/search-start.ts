/**
 * Where a `_lastUpdated` catch-up search starts: the latest `meta.lastUpdated` of a
 * resource handed over, as the server stamped it (an event's own timestamp may be later
 * than the change it reports, and starting there could skip changes). Instants are compared
 * as points in time, never as text: `…08:00:01+01:00` is earlier than `…07:30:00Z`.
 */
import { instantMs } from "./notification.js";

export class SearchStart {
  private text: string | undefined;
  private ms = Number.NEGATIVE_INFINITY;

  constructor(saved: string | undefined) {
    this.consider(saved);
  }

  /** The instant to search from; undefined before anything was handed over. */
  get since(): string | undefined {
    return this.text;
  }

  /** A resource's `meta.lastUpdated` (or the handshake's time); kept when it is a readable instant later than the one held. */
  consider(instant: string | undefined): void {
    const ms = instantMs(instant);
    if (ms === undefined || ms <= this.ms) return;
    this.ms = ms;
    this.text = instant;
  }
}
