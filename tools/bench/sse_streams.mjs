// Opens N MCP GET (SSE) streams to URL and holds them until killed; prints "ready N"
// once every stream has its response headers. For measuring memory per open stream.
//   node tools/bench/sse_streams.mjs URL N
import http from "node:http";
const [url, n] = [process.argv[2], Number(process.argv[3] ?? 100)];
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let open = 0, failed = 0;
for (let i = 0; i < n; i++) {
  const req = http.get(url, { agent, headers: { accept: "text/event-stream" } }, (res) => {
    if (res.statusCode === 200) open++; else failed++;
    res.on("data", () => {});
    if (open + failed === n) console.log(`ready ${open} failed ${failed}`);
  });
  req.on("error", () => { failed++; if (open + failed === n) console.log(`ready ${open} failed ${failed}`); });
}
setInterval(() => {}, 1 << 30);
