/**
 * Reading notifications: a good one becomes typed events with their resources; anything
 * malformed, oversized, unauthenticated or for another subscription is a typed rejection
 * whose message and HTTP answer never quote the body.
 */
import { describe, expect, it } from "@jest/globals";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { FakeClock } from "carewire/testing";
import {
  ForeignNotificationError,
  MalformedNotificationError,
  NotificationTimeoutError,
  NotificationTooLargeError,
  UnauthorizedNotificationError,
  fhirSubscription,
  notificationListener,
  parseNotification,
  type SubscriptionServer,
} from "carewire/fhir";

const SUB = "http://fhir.example/Subscription/sub-1";

function notification(events: Array<{ n: number; focus: string; version?: string }>, extra: { subscription?: string; count?: number; type?: string } = {}) {
  return {
    resourceType: "Bundle",
    type: "history",
    entry: [
      {
        fullUrl: "urn:uuid:status",
        resource: {
          resourceType: "Parameters",
          parameter: [
            { name: "subscription", valueReference: { reference: extra.subscription ?? SUB } },
            { name: "topic", valueCanonical: "http://example.org/topic" },
            { name: "status", valueCode: "active" },
            { name: "type", valueCode: extra.type ?? "event-notification" },
            { name: "events-since-subscription-start", valueString: String(extra.count ?? events.at(-1)?.n ?? 0) },
            ...events.map((e) => ({ name: "notification-event", part: [{ name: "event-number", valueString: String(e.n) }, { name: "timestamp", valueInstant: "2026-11-30T08:00:00Z" }, { name: "focus", valueReference: { reference: e.focus } }] })),
          ],
        },
      },
      ...events.filter((e) => e.version).map((e) => ({ fullUrl: `http://fhir.example/${e.focus}`, resource: { resourceType: e.focus.split("/")[0], id: e.focus.split("/")[1], meta: { versionId: e.version } } })),
    ],
  };
}

describe("reading a notification", () => {
  it("gives typed events with their focus and, per event, the resource version it carried", () => {
    const read = parseNotification(JSON.stringify(notification([{ n: 4, focus: "Encounter/e1", version: "1" }, { n: 5, focus: "Encounter/e1", version: "2" }, { n: 6, focus: "Encounter/e2" }])));
    expect(read).toMatchObject({ subscriptionId: "sub-1", type: "event-notification", status: "active", eventsSinceStart: 6 });
    expect(read.events.map((e) => [e.eventNumber, e.focus, e.resource?.meta?.versionId])).toEqual([
      [4, "Encounter/e1", "1"],
      [5, "Encounter/e1", "2"],
      [6, "Encounter/e2", undefined],
    ]);
  });

  it.each([
    ["not JSON", "{ nope"],
    ["not a Bundle", JSON.stringify({ resourceType: "Patient", name: [{ family: "Doe" }] })],
    ["a Bundle of another type", JSON.stringify({ ...notification([]), type: "transaction" })],
    ["no status first", JSON.stringify({ resourceType: "Bundle", type: "history", entry: [{ resource: { resourceType: "Patient" } }] })],
    ["an event number that is not a number", JSON.stringify(notification([{ n: 1, focus: "Encounter/e1" }])).replace('"valueString":"1"', '"valueString":"one"')],
    ["an event number past 2^53", JSON.stringify(notification([{ n: 1, focus: "Encounter/e1" }])).replace('"valueString":"1"', '"valueString":"9999999999999999"')],
    ["an unknown type", JSON.stringify(notification([], { type: "gossip" }))],
    ["a JSON array", "[1,2]"],
  ])("refuses %s with a typed error that quotes nothing of the body", (_why, body) => {
    const error = (() => {
      try {
        return parseNotification(body);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MalformedNotificationError);
    expect(error).toMatchObject({ kind: "notification-malformed", status: 400 });
    expect(String((error as Error).message)).not.toMatch(/Doe|nope|one|gossip/);
  });
});

/** A subscription already started on a scripted server that knows `sub-1`. */
async function startedReceiver() {
  const server: SubscriptionServer = {
    find: async () => [],
    create: async (s) => ({ ...s, id: "sub-1", status: "active" }),
    update: async (s) => s,
    status: async () => parseNotification(JSON.stringify(notification([], { count: 0, type: "query-status" }))),
    events: async () => "unsupported",
    changedSince: async function* () {},
    read: async () => undefined,
  };
  const handled: number[] = [];
  const sub = fhirSubscription({ client: {}, server, topic: "http://example.org/topic", resourceType: "Encounter", endpoint: "http://127.0.0.1:1/hook", header: "X-Hook-Secret: s3cret", maxBodyBytes: 4096, onEvent: (e) => void handled.push(e.eventNumber) });
  await sub.start();
  return { sub, handled };
}

describe("taking a notification in", () => {
  it("hands over a good one, and refuses another subscription's, a missing or wrong secret, and an oversized body", async () => {
    const { sub, handled } = await startedReceiver();
    const good = JSON.stringify(notification([{ n: 1, focus: "Encounter/e1" }]));
    await sub.receive(good, { "x-hook-secret": "s3cret" });
    await sub.idle();
    expect(handled).toEqual([1]);
    await expect(sub.receive(JSON.stringify(notification([{ n: 2, focus: "Encounter/e1" }], { subscription: "Subscription/other" })), { "x-hook-secret": "s3cret" })).rejects.toBeInstanceOf(ForeignNotificationError);
    await expect(sub.receive(good, {})).rejects.toBeInstanceOf(UnauthorizedNotificationError);
    await expect(sub.receive(good, { "x-hook-secret": "s3creT" })).rejects.toBeInstanceOf(UnauthorizedNotificationError);
    await expect(sub.receive("x".repeat(5000), { "x-hook-secret": "s3cret" })).rejects.toBeInstanceOf(NotificationTooLargeError);
    await sub.close();
  });

  it("answers over HTTP: 200 taken in, 400 malformed, 401 without the secret, 413 oversized, never echoing the body", async () => {
    const { sub, handled } = await startedReceiver();
    const server = http.createServer(sub.listener);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const post = async (body: string, secret = "s3cret") => {
      const response = await fetch(url, { method: "POST", headers: { "x-hook-secret": secret, "content-type": "application/fhir+json" }, body });
      return { status: response.status, text: await response.text() };
    };
    try {
      expect((await post(JSON.stringify(notification([{ n: 1, focus: "Encounter/e1" }])))).status).toBe(200);
      const malformed = await post('{"resourceType":"Patient","name":[{"family":"Roe"}]}');
      expect(malformed.status).toBe(400);
      expect(malformed.text).not.toContain("Roe");
      expect((await post(JSON.stringify(notification([])), "wrong")).status).toBe(401);
      expect((await post("y".repeat(10_000))).status).toBe(413);
      await sub.idle();
      expect(handled).toEqual([1]);
    } finally {
      await sub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("answers 408 to a notification that trickles in past the read deadline, on the clock it is given", async () => {
    const clock = new FakeClock();
    const received: unknown[] = [];
    const server = http.createServer(notificationListener({ receive: async (body) => void received.push(body) }, 1_000, clock));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const answered = new Promise<number>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, method: "POST", headers: { "content-length": "100" } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.write("{");
      });
      // The read's deadline is set once the server has the request: then fake time passes it.
      for (let turns = 0; clock.pending === 0 && turns < 10_000; turns++) await new Promise((resolve) => setImmediate(resolve));
      await clock.advance(10_000);
      expect(await answered).toBe(408);
      expect(received).toEqual([]);
      expect(new NotificationTimeoutError(10_000)).toMatchObject({ kind: "notification-timeout", status: 408 });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
