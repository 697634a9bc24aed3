/**
 * What one call of an operation spends of each quota. Some providers price calls: a FHIR
 * server may charge a search 20 points and a write 100 against a points quota while still
 * counting each as one request. Sources, strongest first: the client's `pacing.cost`, then
 * the operation's `hints.cost` (the spec's `x-carewire-cost`, or a protocol's price list).
 * Resolved once per operation descriptor: the per-call path only looks it up.
 */
import type { OperationDescriptor } from "../core/operation.js";

/**
 * A price: a number is units of the requests quota; an object gives units per quota name
 * (`{ fhirInteractions: 20 }`, with requests still 1 unless named). A quota a price does
 * not name costs 1 unit; 0 leaves the call out of that quota.
 */
export type OperationCost = number | Readonly<Record<string, number>>;

/** Prices from config: by operationId, or a function of the operation (undefined keeps the spec's price). */
export type CostConfig = Readonly<Record<string, OperationCost>> | ((operation: OperationDescriptor) => OperationCost | undefined);

export interface ResolvedCost {
  /** Units of the requests quota. */
  readonly requests: number;
  /** Units of other quotas, by name (empty for an operation priced at one request). */
  readonly others: ReadonlyArray<readonly [name: string, units: number]>;
}

/** The price of a call nobody priced: one request (one object for every such call). */
const UNIT_COST: ResolvedCost = Object.freeze({ requests: 1, others: Object.freeze([]) });

/** Looks up (once per operation) what its calls cost. */
export function costResolver(config: CostConfig | undefined): (operation: OperationDescriptor) => ResolvedCost {
  const resolved = new WeakMap<OperationDescriptor, ResolvedCost>();
  return (operation) => {
    if (config === undefined && operation.hints.cost === undefined) return UNIT_COST;
    let cost = resolved.get(operation);
    if (cost === undefined) resolved.set(operation, (cost = resolve(operation, config)));
    return cost;
  };
}

/** Units of `name` a call at this price spends (1 where the price does not name it). */
export function unitsOf(cost: ResolvedCost, name: string): number {
  for (const [quota, units] of cost.others) if (quota === name) return units;
  return 1;
}

function resolve(operation: OperationDescriptor, config: CostConfig | undefined): ResolvedCost {
  const override = typeof config === "function" ? config(operation) : config !== undefined && Object.hasOwn(config, operation.operationId) ? config[operation.operationId] : undefined;
  // Config wins quota by quota: pricing points in config keeps the spec's requests price.
  const units: Record<string, number> = { ...operation.hints.cost, ...(typeof override === "number" ? { requests: override } : override) };
  let requests = 1;
  const others: Array<readonly [string, number]> = [];
  for (const [name, value] of Object.entries(units)) {
    // A price that is no count of units (negative, NaN, Infinity) is left out, never guessed at.
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) continue;
    if (name === "requests") requests = value;
    else others.push([name, value]);
  }
  return requests === 1 && others.length === 0 ? UNIT_COST : Object.freeze({ requests, others: Object.freeze(others) });
}
