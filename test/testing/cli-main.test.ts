/** The CLI's entry point in-process: what it shares with the codegen without importing it. */
import { describe, expect, it } from "@jest/globals";
import { CONFIG_FILE } from "../../src/codegen/config.js";
import { DEFAULT_CONFIG_FILE } from "../../src/cli/main.js";

describe("carewire main", () => {
  it("names the same default config file as the codegen", () => {
    expect(DEFAULT_CONFIG_FILE).toBe(CONFIG_FILE);
  });
});
