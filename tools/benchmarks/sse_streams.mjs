// Opens N MCP GET (SSE) streams to URL and holds them until killed; prints "ready N"
// once every stream has its response headers. For measuring memory per open stream.
// With TOKEN, each stream is authorized with it (Authorization: Bearer TOKEN).
//   node tools/benchmarks/sse_streams.mjs URL N [TOKEN]
import http from "node:http";
const [url, n, token] = [process.argv[2], Number(process.argv[3] ?? 100), process.argv[4]];
const headers = { accept: "text/event-stream", "mcp-protocol-version": "2025-11-25" };
if (token) headers.authorization = `Bearer ${token}`;
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let open = 0, failed = 0;
for (let i = 0; i < n; i++) {
  const req = http.get(url, { agent, headers }, (res) => {
    if (res.statusCode === 200) {
      open++;
      res.on("data", () => {});
      if (open + failed === n) console.log(`ready ${open} failed ${failed}`);
      return;
    }
    let body = "";
    res.on("data", (chunk) => (body += chunk));
    res.on("end", () => {
      if (++failed === 1) console.error(`first failure: HTTP ${res.statusCode} ${body.slice(0, 120).replace(/\s+/g, " ")}`);
      if (open + failed === n) console.log(`ready ${open} failed ${failed}`);
    });
  });
  req.on("error", (e) => { if (++failed === 1) console.error(`first failure: ${e.message}`); if (open + failed === n) console.log(`ready ${open} failed ${failed}`); });
}
setInterval(() => {}, 1 << 30);
