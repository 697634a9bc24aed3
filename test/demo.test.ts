/** `npm run demo`, the README's main job, always finishes and reports what happened. */
import { describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ROOT, childTestTimeout, runNode, tsxArgs } from "./helpers/cli.js";

describe("npm run demo", () => {
  it("syncs through the generated client against the simulator and prints the summary table", async () => {
    // The operator report goes to a folder of the test's own, not the checkout's demo-output/.
    const output = await mkdtemp(path.join(os.tmpdir(), "carewire-demo-"));
    const result = await runNode(tsxArgs(path.join(ROOT, "scripts/demo.ts")), { env: { DEMO_PATIENTS: "40", DEMO_APPOINTMENTS: "20", DEMO_FLEET_SECONDS: "2", DEMO_OUTPUT_DIR: output } }).finally(() => rm(output, { recursive: true, force: true }));
    expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).toContain("clinic sync against the simulator (40 patients, 20 appointments)");
    const row = (label: string) => new RegExp(`^  ${label}\\s+(.+)$`, "m").exec(result.stdout)?.[1];
    // Under the quota and the faults, the runtime completes the whole sync, without duplicates.
    expect(row("calls made by the client")).toBe("60");
    expect(row("succeeded")).toBe("60");
    expect(row("failed")).toBe("0");
    expect(row("duplicates on the server")).toBe("0");
    expect(row("records synced")).toBe("60 of 60 (100%)");
    expect(row("HTTP requests sent")).toMatch(/^\d+ \(\d+ retries, \d+ answered 429\)$/);
    expect(row("goodput")).toMatch(/% of the \d+ the quota allowed/);
    expect(result.stderr).toContain("syncing");
    // Then the FHIR part: the 40 patients written twice, nothing twice on the server.
    expect(result.stdout).toContain("the same patients into a FHIR R4 server, twice");
    expect(row("patients written \\(first run\\)")).toBe("40 ok, 0 failed");
    expect(row("patients written \\(second run\\)")).toBe("40 ok, 0 failed");
    expect(row("Patient resources on the server")).toBe("40 after the first run, 40 after the second");
    expect(row("Provenance resources on the server")).toBe("40 after the first run, 40 after the second");
    // Then the fleet: three processes on one client_id, alone and through Redis.
    expect(result.stdout).toContain("one app, 3 processes, one client_id");
    const fleetRow = (label: string) => {
      const match = /^(\d+) of (\d+)\s+.+?\s+(\d+) \((\d+) answered 429\)\s+(\d+)%$/.exec(row(label)?.trim() ?? "");
      if (!match) throw new Error(`no fleet row ${label} in:\n${result.stdout}`);
      const [, ok, calls, requests, refused] = match.map(Number);
      return { ok: ok!, calls: calls!, requests: requests!, refused: refused! };
    };
    const alone = fleetRow("each alone \\(memory\\)");
    const shared = fleetRow("shared \\(Redis\\)");
    // Alone, three processes overrun the one quota; shared, they keep under it (a 429 only
    // where a starved event loop sent later than its slot: a few at most).
    expect(alone.refused).toBeGreaterThan(0);
    expect(shared.ok).toBe(shared.calls);
    expect(shared.refused).toBeLessThan(alone.refused);
    expect(shared.refused).toBeLessThanOrEqual(shared.requests * 0.05);
    // Last, the path of the operator report made from the clients' events.
    expect(result.stdout).toMatch(/operator report \(\d+ events; alerts fired: [^)]+\)\n\n {2}\S+report\.html\n$/);
  }, childTestTimeout(1));
});
