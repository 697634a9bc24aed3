/**
 * Tenants sharing one client_id's quota: each call of a client made for a tenant counts
 * its units under the tenant's own demand, so the store can give each tenant its weighted
 * share while others wait (and cap it at a budget, when one is set). Weights and budgets
 * come from the pacing config; every tenant weighs 1 unless told otherwise.
 */
import { tenantQuota, UNBOUNDED, type TenantShare } from "../stores/quota-store.js";
import type { PacedDemand } from "./pacing-quota.js";

export interface TenantBudget {
  readonly limit: number;
  readonly windowMs: number;
}

export interface TenantConfig {
  /** Weight of each tenant in the fair share of the quota across the fleet. Default 1 each. */
  readonly tenantWeights?: Readonly<Record<string, number>> | undefined;
  /**
   * Units a tenant may send per window whatever room the quota has: one budget for every
   * tenant (`{ limit, windowMs }`), or one per tenant by name.
   */
  readonly tenantBudget?: TenantBudget | Readonly<Record<string, TenantBudget>> | undefined;
}


export interface TenantDemands {
  /** The call's demands with the tenant's own appended, and the tenant the store shares for. */
  (tenant: string | undefined, demands: readonly PacedDemand[]): { readonly demands: readonly PacedDemand[]; readonly tenant?: TenantShare };
}

export function tenantDemands(config: TenantConfig): TenantDemands {
  for (const [name, weight] of Object.entries(config.tenantWeights ?? {})) {
    if (!(Number.isFinite(weight) && weight > 0)) throw new RangeError(`pacing.tenantWeights: the weight of "${name}" must be a number above 0`);
  }
  const budgets = config.tenantBudget;
  const single = budgets !== undefined && isBudget(budgets) ? budgets : undefined;
  for (const budget of single ? [single] : Object.values(budgets ?? {})) {
    if (!isBudget(budget) || !(budget.limit > 0 && budget.windowMs > 0)) throw new RangeError("pacing.tenantBudget: a budget is { limit, windowMs }, both above 0");
  }
  const budgetOf = (tenant: string): TenantBudget | undefined => single ?? (budgets as Readonly<Record<string, TenantBudget>> | undefined)?.[tenant];
  return (tenant, demands) => {
    if (tenant === undefined) return { demands };
    const requests = demands.find((d) => d.name === "requests");
    const paced = requests !== undefined && requests.limit !== UNBOUNDED ? requests : undefined;
    const budget = budgetOf(tenant);
    if (paced === undefined && budget === undefined) return { demands };
    const cost = requests?.cost ?? 1;
    const own: PacedDemand =
      budget !== undefined
        ? { name: tenantQuota(tenant), limit: budget.limit, windowMs: budget.windowMs + (paced?.marginMs ?? 0), cost, marginMs: paced?.marginMs ?? 0 }
        : { name: tenantQuota(tenant), limit: UNBOUNDED, windowMs: paced!.windowMs, cost, marginMs: paced!.marginMs };
    return {
      demands: [...demands, own],
      ...(paced !== undefined ? { tenant: { name: tenant, weight: config.tenantWeights?.[tenant] ?? 1, quota: "requests" } } : {}),
    };
  };
}

function isBudget(value: unknown): value is TenantBudget {
  return typeof value === "object" && value !== null && typeof (value as TenantBudget).limit === "number" && typeof (value as TenantBudget).windowMs === "number";
}
