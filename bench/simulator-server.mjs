// Child process for the simulator benchmark: starts one server and prints a JSON line
// with its URL and the time from process start to listening.
//   node simulator-server.mjs simulator <spec>   the carewire simulator (built dist/), rate limit and token check off
//   node simulator-server.mjs defaults <spec>    the same with every setting at its default
//   node simulator-server.mjs baseline <json>    a bare node:http server answering that JSON
import http from "node:http";

const [kind, arg] = process.argv.slice(2);
let url;
if (kind === "simulator" || kind === "defaults") {
  const { startSimulator } = await import("../dist/testing/index.js");
  const sim = await startSimulator({ spec: arg, ...(kind === "simulator" ? { rateLimit: false, auth: false } : {}) });
  url = sim.url;
} else {
  const body = arg;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${server.address().port}`;
}
process.stdout.write(`${JSON.stringify({ url, readyMs: performance.now(), rssMb: process.memoryUsage().rss / 1048576 })}\n`);
