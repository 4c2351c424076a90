// Runs @modelcontextprotocol/server-everything (streamableHttp, port from $PORT) bound
// to 127.0.0.1 only: the server itself listens on every interface and has no option
// for the address, so its one listen() call is given the loopback host here.
//
//   PORT=N node everything_on_loopback.mjs
import net from "node:net";
import { createRequire } from "node:module";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0]))) {
    const [port, ...rest] = args;
    if (typeof rest[0] !== "string") return listen.call(this, Number(port), "127.0.0.1", ...rest);
  }
  return listen.apply(this, args);
};

const require = createRequire(import.meta.url);
const index = require.resolve("@modelcontextprotocol/server-everything/dist/index.js");
process.argv = [process.argv[0], index, "streamableHttp"];
await import(index);
