/**
 * A script with one call to a server that never answers, in its own process, as an app's
 * would run: `tsx test/helpers/hung-call-child.ts <baseUrl>`. It prints the call's error kind
 * and then has nothing left to do: the process exits only if the attempt's socket was freed.
 */
import { createPipeline } from "../../src/runtime/core/pipeline.js";
import { testOperation } from "./operation.js";

const client = createPipeline({ provider: "hung", baseUrl: process.argv[2] ?? "", timeoutMs: 200, retry: false });
const result = await client.call(testOperation(), { responses: {} }, { params: { path: { thingId: "never" } } });
process.stdout.write(`${result.error?.kind ?? "answered"}\n`);
