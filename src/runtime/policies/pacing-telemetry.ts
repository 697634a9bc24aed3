/**
 * The `quota` event pacing sends for an admitted attempt: how much of the window was used
 * before it, and the tenant's part of that. Only built when someone listens, and read off
 * the attempt's path: the attempt goes on while a shared store answers the usage reads.
 */
import type { Call } from "../core/call.js";
import { quietly } from "../stores/fallback.js";
import { tenantQuota, type QuotaStore, type TenantShare } from "../stores/quota-store.js";
import { isPacing, type PacedDemand } from "./pacing-quota.js";

export function noteQuota(call: Call, store: QuotaStore, key: string, demands: readonly PacedDemand[], tenant: TenantShare | undefined): void {
  const requests = demands.find((d) => d.name === "requests");
  if (requests === undefined || !isPacing(requests)) return;
  const windowMs = requests.windowMs - requests.marginMs;
  const from = call.clock.now() - windowMs;
  const used = quietly(() => store.usage(key, requests.name, from));
  const tenantUsed = tenant === undefined ? undefined : quietly(() => store.usage(key, tenantQuota(tenant.name), from));
  void Promise.all([used, tenantUsed]).then(([units, own]) => {
    if (units === undefined) return;
    call.emit({ type: "quota", scope: key, limit: requests.limit, windowMs, used: units, ...(tenant !== undefined && own !== undefined ? { tenantUsed: own, tenantWeight: tenant.weight } : {}) });
  });
}
