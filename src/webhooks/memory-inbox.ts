/**
 * The inbox in this process's memory: the default, for one instance that may lose its
 * pending events when it stops. A fleet, or an app that must not, uses SQLite, PostgreSQL
 * or Redis.
 */
import { checkEntry, checkLimit, checkTime, checkWorker, errorText, leaseFor, storeCall, type InboxClaim, type InboxRecord, type WebhookInbox } from "./inbox.js";
import { WebhookInboxError } from "./errors.js";

interface Held {
  record: InboxRecord;
  lease?: string;
  leaseUntil?: number;
}

export function memoryInbox(): WebhookInbox {
  const events = new Map<string, Held>();
  let closed = false;
  const call = <T>(action: string, work: () => T): Promise<T> =>
    storeCall("memory", action, () => {
      if (closed) throw new WebhookInboxError("the webhook inbox is closed");
      return work();
    });
  const matching = (claim: InboxClaim) => {
    const held = events.get(claim.record?.id);
    return held !== undefined && held.lease === claim.lease && held.record.status === "pending" ? held : undefined;
  };

  return {
    backend: "memory",
    accept: (entry, now) =>
      call("record an event", () => {
        checkEntry(entry);
        if (events.has(entry.id)) return false;
        const at = checkTime(now, "now");
        events.set(entry.id, { record: { ...entry, status: "pending", receivedAt: at, updatedAt: at, attempts: 0, notBefore: at } });
        return true;
      }),
    claim: (worker, limit, leaseMs, now) =>
      call("claim events", () => {
        checkWorker(worker);
        const due = [...events.values()]
          .filter((h) => h.record.status === "pending" && h.record.notBefore <= now && (h.leaseUntil === undefined || h.leaseUntil <= now))
          .sort((a, b) => a.record.notBefore - b.record.notBefore)
          .slice(0, checkLimit(limit));
        return due.map((held): InboxClaim => {
          held.lease = leaseFor(worker);
          held.leaseUntil = now + leaseMs;
          held.record = { ...held.record, attempts: held.record.attempts + 1, updatedAt: now };
          return { record: held.record, lease: held.lease };
        });
      }),
    extend: (claim, leaseMs, now) =>
      call("keep a lease", () => {
        const held = matching(claim);
        if (held === undefined) return false;
        held.leaseUntil = checkTime(now, "now") + leaseMs;
        return true;
      }),
    giveBack: (claim, now) =>
      call("give a lease back", () => {
        const at = checkTime(now, "now");
        const held = matching(claim);
        if (held === undefined) return false;
        delete held.lease;
        delete held.leaseUntil;
        held.record = { ...held.record, attempts: Math.max(0, held.record.attempts - 1), notBefore: Math.min(held.record.notBefore, at), updatedAt: at };
        return true;
      }),
    release: (worker, now) =>
      call("release leases", () => {
        const prefix = `${checkWorker(worker)}/`;
        let released = 0;
        for (const held of events.values()) {
          if (held.record.status !== "pending" || !held.lease?.startsWith(prefix)) continue;
          delete held.lease;
          delete held.leaseUntil;
          held.record = { ...held.record, notBefore: Math.min(held.record.notBefore, now), updatedAt: now };
          released++;
        }
        return released;
      }),
    settle: (claim, settlement, now) =>
      call("settle an event", () => {
        const held = matching(claim);
        if (held === undefined) return false;
        delete held.lease;
        delete held.leaseUntil;
        const base = { ...held.record, updatedAt: now };
        if (settlement.status === "handled") held.record = { ...base, status: "handled", raw: "" };
        else if (settlement.status === "retry") held.record = { ...base, notBefore: settlement.notBefore, lastError: errorText(settlement.error) };
        else held.record = { ...base, status: "dead", lastError: errorText(settlement.error) };
        return true;
      }),
    revive: (ids, now) =>
      call("revive events", () => {
        let revived = 0;
        for (const id of ids) {
          const held = events.get(id);
          if (held?.record.status !== "dead") continue;
          held.record = { ...held.record, status: "pending", attempts: 0, notBefore: now, updatedAt: now };
          revived++;
        }
        return revived;
      }),
    list: ({ status, limit }) =>
      call("list events", () =>
        [...events.values()]
          .map((h) => h.record)
          .filter((r) => r.status === status)
          .sort((a, b) => a.updatedAt - b.updatedAt)
          .slice(0, checkLimit(limit)),
      ),
    counts: () =>
      call("count events", () => {
        const counts = { pending: 0, handled: 0, dead: 0 };
        for (const { record } of events.values()) counts[record.status]++;
        return counts;
      }),
    purge: (before) =>
      call("purge events", () => {
        let purged = 0;
        for (const [id, { record }] of events) if (record.status === "handled" && record.updatedAt < before && events.delete(id)) purged++;
        return purged;
      }),
    async close() {
      closed = true;
    },
  };
}
