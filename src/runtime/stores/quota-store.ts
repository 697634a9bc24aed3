/**
 * The contract behind client-side pacing, made for a fleet: one atomic `acquire` checks
 * every quota of a provider's client_id and records the send in the same step (so two
 * instances can never both take the last slot), now or booked for the earliest time it
 * fits. A booked send counts as used from the moment it is booked, so the instances of a
 * fleet queue for the quota first come, first served, with one round trip per send, while a
 * send with more room (a critical call, where batch keeps a reserve) can still go first. A 429 pause and what the server's rate-limit headers say are kept in the same
 * place, so every instance holds and corrects the same window.
 *
 * Memory (one process) and Redis (a fleet) implement it; one contract test suite runs
 * against both. Methods may answer synchronously (the memory store does, so a lone
 * process pays no promise per call) or with a promise (a network store).
 */
export type Awaitable<T> = T | Promise<T>;

/**
 * The limit of a quota nobody has named yet: sends under it are counted (so the window
 * holds them when the server names one), never refused. Finite, so every store carries it.
 */
export const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** One quota of a key: `limit` units per sliding `windowMs`. */
export interface QuotaWindow {
  /** "requests", or a provider's own name ("points", "fhirInteractions"). */
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
}

/** A send asking for room: `cost` units of each quota it names. */
export interface QuotaDemand extends QuotaWindow {
  readonly cost: number;
  /**
   * Units of the limit this send must leave free: batch work leaves a share for critical
   * calls, so a clinician's request never queues behind a bulk job across the fleet.
   */
  readonly reserve?: number;
}

export interface AcquireRequest {
  /** The provider and client_id the quota belongs to. */
  readonly key: string;
  /** Unique per send: names the record that `settle` moves and `cancel` removes. */
  readonly id: string;
  /** Epoch ms. Every instance must read a synchronized clock (NTP); the window's margin covers small skews. */
  readonly now: number;
  readonly demands: readonly QuotaDemand[];
  /**
   * Latest epoch ms the caller would wait for. When the send cannot go now but fits by
   * then, the store books the earliest time it fits (recorded there, in the same step) and
   * grants it for that time: the caller sleeps and sends, with no second round trip and no
   * race with other instances waking for the same slot. Without it: now, or a refusal.
   */
  readonly bookUntil?: number;
  /**
   * Sends like this one to grant in the same step, when they fit by the same rule (a queue
   * or a lease takes several per round trip). The first is recorded under `id`, the k-th
   * extra under `extraId(id, k)`. Default 1.
   */
  readonly count?: number;
  /**
   * Spare sends to take after those, for calls that have not come yet: granted only now
   * (never booked) and only while every quota stays at most half used, so a spare held
   * by one instance never makes another wait. Recorded as extras after the `count` ones.
   */
  readonly spare?: number;
  /**
   * Sends like this one queued behind it in the same instance: a hint a leasing store uses
   * to take them all in one round trip. Other stores ignore it.
   */
  readonly waiting?: number;
  /**
   * The tenant the send is for, when one client_id serves several. While another tenant's
   * send waits for room, a tenant past its weighted share of the limit of the demand named
   * `quota` (its weight over the weights of the tenants seen in that window) is refused,
   * so the room goes to the one below its share; with nobody waiting, any tenant may use
   * what is free. The tenant's units are counted by its own demand, named
   * `tenantQuota(name)`, which the request must carry (with a finite limit, it is also the
   * tenant's budget).
   */
  readonly tenant?: TenantShare;
}

/** A tenant's place in the fair share of a quota (see `AcquireRequest.tenant`). */
export interface TenantShare {
  readonly name: string;
  readonly weight: number;
  /** The demand whose limit the tenants share. */
  readonly quota: string;
}

/** The name of the demand that counts (and may cap) one tenant's units. */
export function tenantQuota(tenant: string): string {
  return `tenant:${tenant}`;
}

export type AcquireAnswer =
  /**
   * Granted for `at`: now, or a later time booked for this send; `more` holds the times of
   * the extra sends granted with it (`count` > 1, `spare`), in order.
   */
  | {
      readonly granted: true;
      readonly at: number;
      readonly more?: readonly number[];
      /** The id the send is recorded under, when not the request's (a send taken from a lease): settle and cancel use it. */
      readonly id?: string;
    }
  /** Not by `bookUntil`: the earliest epoch ms the send can fit (Infinity: never). */
  | { readonly granted: false; readonly retryAt: number };

/** The id of the k-th extra send granted with `id` (k ≥ 1). */
export function extraId(id: string, k: number): string {
  return `${id}+${k}`;
}

/** What a response's rate-limit headers said about one quota, at `now`. */
export interface QuotaObservation {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Units left in the server's window; fewer than the store counts means others spent them. */
  readonly remaining?: number;
  /** Epoch ms at which the server's window resets. */
  readonly resetAt?: number;
}

/**
 * What one instance learned about a quota (the limit the server's headers name, an
 * estimate made from 429s), kept for the others. The store does not read the value; of two
 * versions, the higher one stays.
 */
export interface QuotaKnowledge {
  readonly version: number;
  readonly value: string;
}

export interface QuotaStore {
  /**
   * `acquire` always answers synchronously (never a Promise): the memory store. Pacing then
   * admits a call that finds nobody waiting without queueing it.
   */
  readonly answersAtOnce?: boolean;
  /**
   * How far ahead of its slot a waiting call should book, when this store serves several
   * calls per round trip that way (a leasing store). Left out: just before the slot.
   */
  readonly bookAheadMs?: (windowMs: number) => number;
  acquire(request: AcquireRequest): Awaitable<AcquireAnswer>;
  /**
   * Moves a granted send to `at`, when its response arrived: the server counted it
   * somewhere in between, and only the later bound never undercounts.
   */
  settle(key: string, id: string, at: number, demands: readonly QuotaDemand[]): Awaitable<void>;
  /** Gives a granted send's units back (it never left: refused before the wire). */
  cancel(key: string, id: string, demands: readonly QuotaDemand[]): Awaitable<void>;
  /** Holds every send of `key` until `until`; never shortens a longer pause. */
  pause(key: string, until: number): Awaitable<void>;
  /** The pause in force, or 0. */
  pausedUntil(key: string): Awaitable<number>;
  /**
   * Corrects the window with what the server counts: when it has fewer units left than
   * the store thinks, the difference was spent elsewhere (another app, a lost record) and
   * is held until the server's reset.
   */
  observe(key: string, observation: QuotaObservation, now: number): Awaitable<void>;
  /**
   * Units of the quota `name` the server answered (settled sends) after `from` (epoch ms),
   * as far back as the log reaches: sends still in flight, booked or leased are not counted.
   */
  usage(key: string, name: string, from: number): Awaitable<number>;
  /** Keeps what was learned about the quota `name` of `key`, unless a higher version is there. (Optional: a store without it shares no learning.) */
  share?(key: string, name: string, knowledge: QuotaKnowledge): Awaitable<void>;
  /** What the instances learned about the quotas of `key`, by quota name. */
  known?(key: string): Awaitable<Readonly<Record<string, QuotaKnowledge>>>;
  /** Lets go of connections (a network store); the memory store has nothing to close. */
  close?(): Promise<void>;
}
