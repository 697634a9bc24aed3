/**
 * The outbox contract in memory: for tests and for trying the API, never for writes that
 * must survive a crash (nothing here outlives the process). It keeps the same rules as the
 * durable stores (dedupe by key, leases that fence, dead letters apart), so code tested
 * against it behaves the same on SQLite or PostgreSQL.
 */
import { randomId } from "../runtime/portable/random-id.js";
import { OutboxStoreError } from "./errors.js";
import type { Claim, DeadReason, DeliveryRecord, IntentRecord, IntentSummary, Json, ListFilter, OutboxCounts, OutboxStore } from "./outbox-store.js";
import { checkIds, checkLimit, checkPositive, checkStatus, checkTime, checkWorker, leaseOwner } from "./store-arguments.js";
import { answersForBatch, closedError, encodeBatch, HISTORY_LIMIT } from "./store-rows.js";

interface Row {
  record: IntentRecord;
  lease?: string;
}

export function memoryOutboxStore(): OutboxStore {
  const rows = new Map<string, Row>();
  const byKey = new Map<string, string>();
  let closed = false;
  const open = () => {
    if (closed) throw closedError("memory");
  };
  /** The row while `claim` still holds it: its lease is the row's (an expired lease nobody took again still settles). */
  const held = (claim: Claim, _now: number): Row | undefined => {
    const row = rows.get(claim.intent.id);
    return row && row.lease === claim.lease && row.record.status === "pending" ? row : undefined;
  };
  const settle = (row: Row, changes: Partial<IntentRecord>, record: DeliveryRecord, now: number) => {
    const { leaseUntil: _released, leasedBy: _by, ...rest } = row.record;
    row.record = { ...rest, ...changes, history: [...row.record.history, record].slice(-HISTORY_LIMIT), updatedAt: now };
    delete row.lease;
  };

  return {
    backend: "memory",
    async add(intents, now) {
      open();
      checkTime(now, "now");
      // The same checks as the durable stores: what one refuses, all refuse.
      const { unique, firstOf } = encodeBatch(intents);
      // An id already taken by another key is refused whole, as a database's unique index would.
      for (const intent of unique) if (rows.has(intent.id) && byKey.get(intent.idempotencyKey) !== intent.id) throw new OutboxStoreError(`the memory outbox store already holds an intent with id ${intent.id}`);
      const answers = unique.map((intent) => {
        const existing = byKey.get(intent.idempotencyKey);
        if (existing !== undefined) return { id: existing, added: false };
        const record: IntentRecord = {
          id: intent.id,
          operation: intent.operation,
          input: JSON.parse(intent.input) as Json,
          idempotencyKey: intent.idempotencyKey,
          ...(intent.tenant !== null ? { tenant: intent.tenant } : {}),
          notBefore: intent.notBefore,
          ...(intent.codeVersion !== null ? { codeVersion: intent.codeVersion } : {}),
          status: "pending",
          createdAt: now,
          updatedAt: now,
          deliveries: 0,
          history: [],
        };
        rows.set(intent.id, { record });
        byKey.set(intent.idempotencyKey, intent.id);
        return { id: intent.id, added: true };
      });
      return answersForBatch(firstOf, answers);
    },
    async claim(worker, limit, leaseMs, now) {
      open();
      checkWorker(worker);
      checkTime(now, "now");
      checkPositive(leaseMs, "leaseMs");
      limit = checkLimit(limit, "limit");
      const due = [...rows.values()]
        .filter((row) => row.record.status === "pending" && row.record.notBefore <= now && (row.record.leaseUntil ?? 0) <= now)
        .sort((a, b) => a.record.notBefore - b.record.notBefore || a.record.createdAt - b.record.createdAt)
        .slice(0, Math.max(0, limit));
      return due.map((row) => {
        const lease = `${worker}/${randomId()}`;
        row.lease = lease;
        row.record = { ...row.record, deliveries: row.record.deliveries + 1, leaseUntil: now + leaseMs, leasedBy: worker, updatedAt: now };
        return { intent: row.record, lease };
      });
    },
    async release(worker, now) {
      open();
      checkWorker(worker);
      checkTime(now, "now");
      let released = 0;
      for (const row of rows.values()) {
        if (row.record.status !== "pending" || row.lease === undefined || leaseOwner(row.lease) !== worker) continue;
        const { leaseUntil: _until, leasedBy: _by, ...rest } = row.record;
        row.record = { ...rest, notBefore: Math.min(rest.notBefore, now), updatedAt: now };
        delete row.lease;
        released++;
      }
      return released;
    },
    async renew(claim, leaseMs, now) {
      open();
      const row = held(claim, now);
      if (!row) return false;
      row.record = { ...row.record, leaseUntil: now + leaseMs };
      return true;
    },
    async commit(claim, record, now) {
      open();
      const row = held(claim, now);
      if (!row) return false;
      settle(row, { status: "committed", committedAt: now }, record, now);
      return true;
    },
    async defer(claim, notBefore, record, now) {
      open();
      const row = held(claim, now);
      if (!row) return false;
      settle(row, { notBefore }, record, now);
      return true;
    },
    async bury(claim, dead: DeadReason, record, now) {
      open();
      const row = held(claim, now);
      if (!row) return false;
      settle(row, { status: "dead", dead }, record, now);
      return true;
    },
    async counts(now): Promise<OutboxCounts> {
      open();
      let pending = 0, due = 0, leased = 0, committed = 0, dead = 0;
      let oldestPendingAt: number | undefined;
      for (const { record } of rows.values()) {
        if (record.status === "committed") committed++;
        else if (record.status === "dead") dead++;
        else {
          pending++;
          oldestPendingAt = Math.min(oldestPendingAt ?? record.createdAt, record.createdAt);
          if ((record.leaseUntil ?? 0) > now) leased++;
          else if (record.notBefore <= now) due++;
        }
      }
      return { pending, due, leased, committed, dead, ...(oldestPendingAt !== undefined ? { oldestPendingAt } : {}) };
    },
    async list(filter: ListFilter): Promise<readonly IntentSummary[]> {
      open();
      checkStatus(filter.status);
      const limit = checkLimit(filter.limit, "limit");
      const out: IntentSummary[] = [];
      // Oldest change first, then by id: the order the durable stores list in.
      const ordered = [...rows.values()].map((row) => row.record).sort((a, b) => a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const record of ordered) {
        if (out.length >= limit) break;
        if (filter.status !== undefined && record.status !== filter.status) continue;
        if (filter.since !== undefined && record.updatedAt < filter.since) continue;
        if (filter.tenant !== undefined && record.tenant !== filter.tenant) continue;
        if (filter.withBodies) out.push(record);
        else {
          const { input: _input, dead, ...rest } = record;
          const { body: _body, ...reason } = dead ?? ({} as Partial<DeadReason>);
          out.push(dead ? { ...rest, dead: reason as DeadReason } : rest);
        }
      }
      return out;
    },
    async get(ids) {
      open();
      return checkIds(ids).flatMap((id) => {
        const row = rows.get(id);
        return row ? [row.record] : [];
      });
    },
    async revive(which, now) {
      open();
      let revived = 0;
      const wanted = "ids" in which ? new Set(which.ids) : undefined;
      for (const row of rows.values()) {
        const { record } = row;
        if (record.status !== "dead") continue;
        if (wanted ? !wanted.has(record.id) : record.updatedAt < (which as { deadSince: number }).deadSince) continue;
        const { dead: _dead, leaseUntil: _lease, leasedBy: _by, ...rest } = record;
        // Deliveries count afresh: a revived intent gets the whole retry allowance again.
        row.record = { ...rest, status: "pending", notBefore: now, updatedAt: now, deliveries: 0 };
        revived++;
      }
      return revived;
    },
    async purge({ before, dead }) {
      open();
      let purged = 0;
      for (const [id, { record }] of rows) {
        if (record.updatedAt >= before) continue;
        if (record.status === "committed" || (dead === true && record.status === "dead")) {
          rows.delete(id);
          byKey.delete(record.idempotencyKey);
          purged++;
        }
      }
      return purged;
    },
    async close() {
      closed = true;
    },
  };
}
