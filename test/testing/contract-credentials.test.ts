/**
 * The contract runner's credentials when it is given none: the simulator's demo client where a
 * simulator answers, never sent to a remote server.
 */
import { describe, expect, it } from "@jest/globals";
import { DEMO_CLIENT, defaultCredentials } from "../../src/testing/contract-credentials.js";
import { refusalReason } from "../../src/testing/contract-refusal.js";

describe("credentials of a contract run given none", () => {
  it("the demo client for the simulator the run started, or a server on a loopback address", () => {
    expect(defaultCredentials("https://api.example.org", true)).toBe(DEMO_CLIENT);
    for (const url of ["http://127.0.0.1:4010", "http://localhost:4010/v1", "http://127.8.0.1", "http://[::1]:4010"]) expect(defaultCredentials(url, false)).toBe(DEMO_CLIENT);
  });

  it("none for any other server: the demo secret is never sent off this machine", () => {
    for (const url of ["https://api.example.org", "http://10.0.0.5:4010", "http://127.0.0.1.example.org", "http://localhost.evil.example", "not a url"]) {
      expect(defaultCredentials(url, false)).toBeUndefined();
    }
  });
});

describe("the reason a refused operation gives", () => {
  it("says which credentials were tried", () => {
    expect(refusalReason(401, "", "none")).toBe("refused with 401: no credentials were given");
    expect(refusalReason(403, "", "demo")).toBe("refused with 403: only the simulator's demo client was tried");
    expect(refusalReason(401, JSON.stringify({ error: "invalid_token" }), "given")).toBe("refused with 401 (the server said: invalid_token)");
  });
});
