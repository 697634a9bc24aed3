/**
 * What the simulator sends and changes by itself, started from its options: webhooks for
 * every change of its resources, and changes on a schedule. One handle stops both.
 */
import type { ResourceCatalog } from "./resources.js";
import { ScheduledChanges, type ScheduledChangesOptions } from "./scheduled-changes.js";
import { WebhookSender, type SimulatorWebhookOptions, type SimulatorWebhooks } from "./webhook-sender.js";
import type { ObservedResourceStore } from "./webhook-store.js";
import type { SimulatorTime } from "./clock.js";

export interface ChangeFeedOptions {
  readonly webhooks?: SimulatorWebhookOptions;
  readonly changes?: ScheduledChangesOptions;
  readonly seed?: number;
}

export interface ChangeFeeds {
  readonly webhooks: SimulatorWebhooks | undefined;
  close(): Promise<void>;
}

export function startChangeFeeds(options: ChangeFeedOptions, clock: SimulatorTime, store: ObservedResourceStore, catalog: ResourceCatalog | undefined): ChangeFeeds {
  const seed = options.seed ?? 1;
  if (options.changes && !catalog) throw new RangeError("scheduled changes need a stateful simulator (stateful: true)");
  const sender = options.webhooks ? new WebhookSender(options.webhooks, clock, seed) : undefined;
  store.observe(sender?.send);
  const changes = options.changes && catalog ? new ScheduledChanges(options.changes, catalog, store, clock, seed) : undefined;
  return {
    webhooks: sender,
    async close() {
      store.observe(undefined);
      await changes?.close();
      await sender?.close();
    },
  };
}
