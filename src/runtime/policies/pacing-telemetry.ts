/**
 * What pacing tells listeners about an admitted attempt: when this instance went to pacing
 * alone (its shared store out) or shares again, how long the attempt waited, and how much of
 * the quota it found used (with the tenant's part). The usage is read off the attempt's
 * path, and only when someone listens: the attempt goes on while a shared store answers.
 */
import type { Call } from "../core/call.js";
import { quietly } from "../stores/fallback.js";
import { tenantQuota, type QuotaStore, type TenantShare } from "../stores/quota-store.js";
import type { Admission } from "./pacing-queue.js";
import { isPacing, type PacedDemand } from "./pacing-quota.js";

export interface Admitted {
  /** The call's demand on requests, when there is one. */
  readonly demand: PacedDemand | undefined;
  readonly demands: readonly PacedDemand[];
  readonly tenant: TenantShare | undefined;
  readonly waitedMs: number;
}

export class AdmissionNotes {
  /** Whether the last admission was made from this instance's memory, its shared store out. */
  private sharedStoreOut = false;

  constructor(
    private readonly store: QuotaStore,
    private readonly key: string,
  ) {}

  admitted(call: Call, admission: Admission, { demand, demands, tenant, waitedMs }: Admitted): void {
    const changed = admission.local !== this.sharedStoreOut;
    this.sharedStoreOut = admission.local;
    if (!call.observed) return;
    if (changed) call.emit({ type: "quota-store", state: admission.local ? "local" : "shared" });
    if (waitedMs > 0) call.emit({ type: "rate-limit-wait", waitMs: waitedMs, reason: demand && isPacing(demand) ? `${demand.limit} per ${Math.round(demand.windowMs)} ms` : "concurrency cap or a pause the server asked for" });
    if (call.logged) this.quota(call, demands, tenant);
  }

  /** The `quota` event: units used in the window before this attempt, of the requests quota it is paced under. */
  private quota(call: Call, demands: readonly PacedDemand[], tenant: TenantShare | undefined): void {
    const requests = demands.find((d) => d.name === "requests");
    if (requests === undefined || !isPacing(requests)) return;
    const windowMs = requests.windowMs - requests.marginMs;
    const from = call.clock.now() - windowMs;
    const used = quietly(() => this.store.usage(this.key, requests.name, from));
    const tenantUsed = tenant === undefined ? undefined : quietly(() => this.store.usage(this.key, tenantQuota(tenant.name), from));
    void Promise.all([used, tenantUsed]).then(([units, own]) => {
      if (units === undefined) return;
      call.emit({ type: "quota", scope: this.key, limit: requests.limit, windowMs, used: units, ...(tenant !== undefined && own !== undefined ? { tenantUsed: own, tenantWeight: tenant.weight } : {}) });
    });
  }
}
