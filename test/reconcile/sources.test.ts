/** Sources: NDJSON read line by line with typed errors naming the line (and nothing of its content), and arrays. */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { arraySource, ndjsonSource, SourceError } from "../../src/reconcile/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "reconcile-sources-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string | Buffer): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
}

async function readAll(source: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const r of source) out.push(r);
  return out;
}

async function failure(source: AsyncIterable<unknown>): Promise<SourceError> {
  try {
    await readAll(source);
  } catch (error) {
    if (error instanceof SourceError) return error;
    throw error;
  }
  throw new Error("the read did not fail");
}

describe("ndjsonSource", () => {
  it("reads one object per line, skipping blank lines and a CRLF's CR, with no newline at the end", async () => {
    const p = await file("ok.ndjson", '{"a":1}\r\n\n  \n{"a":2}\n{"a":3}');
    expect(await readAll(await ndjsonSource(p))).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  it("names the line that is not JSON, without quoting it", async () => {
    const p = await file("bad.ndjson", '{"a":1}\n\n{"name":"Jane Doe", oops}\n{"a":4}\n');
    const error = await failure(await ndjsonSource(p));
    expect(error).toMatchObject({ kind: "reconcile-source", line: 3 });
    expect(error.message).toBe("bad.ndjson line 3 is not JSON");
    expect(error.cause).toBeUndefined();
  });

  it("refuses a line that is JSON but not an object", async () => {
    const error = await failure(await ndjsonSource(await file("array.ndjson", '{"a":1}\n["Jane Doe"]\n')));
    expect(error).toMatchObject({ line: 2, message: "array.ndjson line 2 is not a JSON object" });
  });

  it("stops at a line longer than the bound, as soon as it passes it, naming the line", async () => {
    const long = `{"a":1}\n{"note":"${"x".repeat(5_000)}"}\n{"a":3}\n`;
    const error = await failure(await ndjsonSource(await file("long.ndjson", long), { maxLineBytes: 1_000 }));
    expect(error).toMatchObject({ line: 2, message: "long.ndjson line 2 is longer than 1000 bytes" });
    // The last line, unended, is bounded too.
    const tail = await failure(await ndjsonSource(await file("tail.ndjson", `{"a":1}\n${"y".repeat(2_000)}`), { maxLineBytes: 1_000 }));
    expect(tail.line).toBe(2);
  });

  it("refuses bytes that are not UTF-8", async () => {
    const error = await failure(await ndjsonSource(await file("latin1.ndjson", Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d, 0x0a]))));
    expect(error).toMatchObject({ line: 1, message: "latin1.ndjson line 1 is not UTF-8" });
  });

  it("refuses a file that does not exist, as a typed error", async () => {
    await expect(ndjsonSource(path.join(dir, "absent.ndjson"))).rejects.toMatchObject({ kind: "reconcile-source" });
  });

  it("names the file by path, size and time, so a changed file is another source", async () => {
    const p = await file("id.ndjson", '{"a":1}\n');
    const before = (await ndjsonSource(p)).id;
    await writeFile(p, '{"a":1}\n{"a":2}\n');
    expect((await ndjsonSource(p)).id).not.toBe(before);
  });
});

describe("arraySource", () => {
  it("yields the records and is named by their content", async () => {
    expect(await readAll(arraySource([{ a: 1 }, { a: 2 }]))).toEqual([{ a: 1 }, { a: 2 }]);
    expect(arraySource([{ a: 1 }]).id).toBe(arraySource([{ a: 1 }]).id);
    expect(arraySource([{ a: 1 }]).id).not.toBe(arraySource([{ a: 2 }]).id);
    expect(arraySource([{ a: 1 }], { id: "mine" }).id).toBe("mine");
  });
});
