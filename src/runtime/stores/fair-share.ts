/**
 * Weighted fair share between the tenants of one key, for the memory store (the Redis
 * store runs the same rule in its acquire script). A tenant is seen when it asks; it wants
 * room from the time a send of its is refused until one is granted. While some other tenant
 * wants room, a tenant past its share is refused: the next slot goes to the one below.
 */
import type { TenantShare } from "./quota-store.js";

interface Seen {
  weight: number;
  seenAt: number;
  /** Since when a send of this tenant waits for room (a refusal), until one is granted. */
  wantsSince: number | undefined;
}

export class FairShare {
  private readonly tenants = new Map<string, Map<string, Seen>>();

  /** Notes that `tenant` asked at `now`; forgets tenants not seen for a window. */
  seen(key: string, tenant: TenantShare, now: number, windowMs: number): void {
    let seen = this.tenants.get(key);
    if (!seen) this.tenants.set(key, (seen = new Map()));
    for (const [name, s] of seen) if (s.seenAt <= now - windowMs) seen.delete(name);
    const own = seen.get(tenant.name);
    if (own) {
      own.weight = tenant.weight;
      own.seenAt = now;
    } else seen.set(tenant.name, { weight: tenant.weight, seenAt: now, wantsSince: undefined });
  }

  /**
   * The tenant's share of `limit` when another tenant wants room now, else undefined (no
   * share applies: free room is anyone's).
   */
  shareWhileOthersWait(key: string, tenant: TenantShare, limit: number): number | undefined {
    const seen = this.tenants.get(key);
    if (!seen) return undefined;
    let othersWait = false;
    let weights = 0;
    for (const [name, s] of seen) {
      weights += s.weight;
      if (name !== tenant.name && s.wantsSince !== undefined) othersWait = true;
    }
    return othersWait && weights > 0 ? (limit * tenant.weight) / weights : undefined;
  }

  /** A send of the tenant was refused (it wants room) or granted (it no longer waits). */
  answered(key: string, tenant: TenantShare, granted: boolean, now: number): void {
    const own = this.tenants.get(key)?.get(tenant.name);
    if (!own) return;
    if (granted) own.wantsSince = undefined;
    else own.wantsSince ??= now;
  }
}
