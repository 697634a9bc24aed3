/** The outbox intake the crash test's receivers share: one `syncAppointment` intent per event. */
import type { Json } from "../../src/outbox/outbox-store.js";
import type { OutboxIntake } from "../../src/webhooks/index.js";

export const crashIntake: OutboxIntake = {
  provider: "clinic",
  toWrites: (entry) => [{ operation: "syncAppointment", input: (JSON.parse(entry.raw) as { data: Json }).data }],
};
