/**
 * Every error class an entry point exports belongs to one family: a KindedError, so a caller
 * can catch any carewire failure with one `instanceof` and switch on a stable `kind`, and
 * every class shows its own name.
 */
import { describe, expect, it } from "@jest/globals";
import * as main from "carewire";
import * as codegen from "carewire/codegen";
import * as fhir from "carewire/fhir";
import * as outbox from "carewire/outbox";
import * as polling from "carewire/polling";
import * as reconcile from "carewire/reconcile";
import * as testing from "carewire/testing";
import * as webhooks from "carewire/webhooks";
import * as report from "../../src/report/index.js";

const { KindedError } = main;

const ENTRY_POINTS: Record<string, Record<string, unknown>> = { carewire: main, "carewire/codegen": codegen, "carewire/fhir": fhir, "carewire/outbox": outbox, "carewire/polling": polling, "carewire/reconcile": reconcile, "carewire/testing": testing, "carewire/webhooks": webhooks, report };

const errorClasses = Object.entries(ENTRY_POINTS).flatMap(([module, exports]) =>
  Object.entries(exports)
    .filter((entry): entry is [string, abstract new (...args: never[]) => Error] => typeof entry[1] === "function" && entry[1] !== KindedError && entry[1].prototype instanceof Error)
    .map(([name, errorClass]) => ({ module, name, errorClass })),
);

describe("error families", () => {
  it("finds the error classes of every entry point", () => {
    const modules = new Set(errorClasses.map((e) => e.module));
    expect([...modules].sort()).toEqual(Object.keys(ENTRY_POINTS).sort());
    expect(errorClasses.length).toBeGreaterThan(40);
  });

  it.each(errorClasses.map((e) => [`${e.module} ${e.name}`, e.errorClass] as const))("%s is a KindedError", (_label, errorClass) => {
    expect(errorClass.prototype).toBeInstanceOf(KindedError);
  });

  it("names an instance after its class and keeps kind and cause", () => {
    const cause = new Error("disk full");
    const error = new outbox.OutboxStoreError("the store could not be written", { cause });
    expect(error).toBeInstanceOf(KindedError);
    expect(error.name).toBe("OutboxStoreError");
    expect(error.kind).toBe("outbox-store");
    expect(error.cause).toBe(cause);
    expect(String(error.stack)).toMatch(/^OutboxStoreError: the store could not be written/);
    const refused = new main.AuthenticationError("invalid_client", { status: 400 });
    expect({ name: refused.name, kind: refused.kind, status: refused.status }).toEqual({ name: "AuthenticationError", kind: "auth-failed", status: 400 });
  });
});
