/** `npm run demo`, the README's main job, always finishes and reports what happened. */
import { describe, expect, it } from "@jest/globals";
import path from "node:path";
import { ROOT, childTestTimeout, runNode, tsxArgs } from "./helpers/cli.js";

describe("npm run demo", () => {
  it("syncs through the generated client against the simulator and prints the summary table", async () => {
    const result = await runNode(tsxArgs(path.join(ROOT, "scripts/demo.ts")), { env: { DEMO_PATIENTS: "40", DEMO_APPOINTMENTS: "20" } });
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
  }, childTestTimeout(1));
});
