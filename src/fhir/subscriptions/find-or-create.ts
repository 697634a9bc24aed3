/**
 * Finding this app's own Subscription on the server (same topic and endpoint, carewire's
 * tag with the request's key) or making it. A server that masks the channel header when a
 * Subscription is read back still matches, so a restart reuses instead of making another.
 */
import type { Subscription } from "fhir/r4.js";
import { SubscriptionSetupError } from "./errors.js";
import type { SubscriptionServer } from "./subscription-server.js";
import { sameSubscription, subscriptionKey, subscriptionResource, type SubscriptionRequest } from "./subscription-resource.js";

export type ServerSubscription = Subscription & { readonly id: string };

export async function findOrCreate(server: SubscriptionServer, request: SubscriptionRequest): Promise<{ readonly subscription: ServerSubscription; readonly reused: boolean }> {
  let subscription: Subscription;
  let reused = false;
  try {
    const key = await subscriptionKey(request);
    const mine = (await server.find(request.topic, request.endpoint)).find((s) => s.id !== undefined && sameSubscription(s, request, key));
    reused = mine !== undefined;
    subscription = mine ?? (await server.create(subscriptionResource(request, key)));
  } catch (error) {
    throw new SubscriptionSetupError("the Subscription could not be found or created", { cause: error });
  }
  if (subscription.id === undefined) throw new SubscriptionSetupError("the server's Subscription has no id");
  return { subscription: subscription as ServerSubscription, reused };
}

/**
 * The Subscription to PUT back to reactivate it: `requested`, with this app's own channel
 * header, since the one read back may be masked and would overwrite the secret.
 */
export function reactivation(current: ServerSubscription, header: string | undefined): ServerSubscription {
  return { ...current, status: "requested", channel: { ...current.channel, ...(header !== undefined ? { header: [header] } : {}) } };
}
