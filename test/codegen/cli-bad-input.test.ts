/**
 * Bad input to `carewire generate`: one line naming file, pointer (or line:column)
 * and reason; exit code 2; nothing written, and an existing output left untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runCli } from "../helpers/cli.js";

const BAD = "test/fixtures/specs/bad";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-bad-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const cases: Array<[string, string, RegExp]> = [
  ["truncated YAML", "truncated.yaml", /^carewire: test\/fixtures\/specs\/bad\/truncated\.yaml:15:1: cannot parse: unexpected end of the stream/],
  [
    "a dangling $ref",
    "dangling-ref.yaml",
    /^carewire: test\/fixtures\/specs\/bad\/dangling-ref\.yaml#\/paths\/~1things\/get\/responses\/200\/content\/application~1json\/schema: \$ref "#\/components\/schemas\/Thing" points to nothing$/,
  ],
  ["Swagger 2.0", "swagger2.json", /^carewire: test\/fixtures\/specs\/bad\/swagger2\.json#\/swagger: Swagger 2\.0 is not supported: convert to OpenAPI 3 first/],
  [
    "duplicate operationIds",
    "duplicate-operation-ids.yaml",
    /^carewire: test\/fixtures\/specs\/bad\/duplicate-operation-ids\.yaml#\/paths\/~1other-things\/get\/operationId: duplicate operationId "getThings" \(first used at \/paths\/~1things\/get\)$/,
  ],
  [
    "a path parameter missing from the path",
    "path-param-not-in-path.yaml",
    /^carewire: test\/fixtures\/specs\/bad\/path-param-not-in-path\.yaml#\/paths\/~1things\/get\/parameters\/0: path parameter "thingId" is not in the path template "\/things"$/,
  ],
  [
    "an invalid x-carewire hint",
    "bad-hint.yaml",
    /^carewire: test\/fixtures\/specs\/bad\/bad-hint\.yaml#\/paths\/~1things\/get\/x-carewire-cache\/policy: must be one of no-store \| revalidate \| max-age, got "forever"$/,
  ],
  ["an external $ref to a missing file", "external-missing.yaml", /^carewire: test\/fixtures\/specs\/bad\/external-missing\.yaml#\/paths\/~1things\/get\/responses\/200\/content\/application~1json\/schema: Can't resolve \$ref/],
  ["a file that does not exist", "no-such-spec.yaml", /^carewire: test\/fixtures\/specs\/bad\/no-such-spec\.yaml: file not found or not readable$/],
];

describe("carewire generate on bad input", () => {
  it.each(cases)("%s → one-line error, exit 2, nothing written", async (_label, file, expected) => {
    const out = path.join(tmp, `out-${file}`);
    const result = await runCli(["generate", "--spec", `${BAD}/${file}`, "--out", out, "--name", "bad"]);

    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    await expect(readdir(out)).rejects.toThrow();
    // No staging directory left behind either.
    expect((await readdir(tmp)).filter((f) => f.includes("carewire-tmp"))).toEqual([]);
  });

  it("leaves an existing output directory exactly as it was when the spec turns bad", async () => {
    const out = path.join(tmp, "existing");
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, "client.ts"), "// the previous good generation\n");
    const result = await runCli(["generate", "--spec", `${BAD}/dangling-ref.yaml`, "--out", out, "--name", "bad"]);

    expect(result.code).toBe(2);
    expect(await readdir(out)).toEqual(["client.ts"]);
    expect(await readFile(path.join(out, "client.ts"), "utf8")).toBe("// the previous good generation\n");
  });

  it("writes nothing at all in config mode when one of several specs is bad", async () => {
    const dir = path.join(tmp, "multi");
    await mkdir(dir, { recursive: true });
    const config = {
      outDir: "gen",
      providers: [
        { name: "good", spec: path.resolve("test/fixtures/specs/good/petstore-3.0.json") },
        { name: "bad", spec: path.resolve(`${BAD}/duplicate-operation-ids.yaml`) },
      ],
    };
    await writeFile(path.join(dir, "carewire.config.json"), JSON.stringify(config));
    const result = await runCli(["generate"], { cwd: dir });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('duplicate operationId "getThings"');
    await expect(readdir(path.join(dir, "gen"))).rejects.toThrow();
  });

  it("rejects bad arguments and a malformed config with exit 2 and usage", async () => {
    const partial = await runCli(["generate", "--spec", "x.yaml"]);
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain("--spec, --out and --name go together");

    const unknown = await runCli(["generate", "--frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("usage:");

    const dir = path.join(tmp, "badconfig");
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "carewire.config.json"), "{ not json");
    const config = await runCli(["generate"], { cwd: dir });
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/^carewire: carewire\.config\.json: not valid JSON/);

    const badName = await runCli(["generate", "--spec", "test/fixtures/specs/good/petstore-3.0.json", "--out", path.join(tmp, "n"), "--name", "Bad Name"]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('provider name "Bad Name"');
  });
});
