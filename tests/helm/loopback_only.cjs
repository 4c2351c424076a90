// node --require loopback_only.cjs SCRIPT: servers that listen on a bare port (as the
// demo upstream, server-everything, does) listen on 127.0.0.1 only, so the chart
// wiring test opens nothing beyond loopback.
"use strict";
const net = require("node:net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function patchedListen(...args) {
  const bare = typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0]));
  if (bare && (args.length === 1 || typeof args[1] === "function")) args.splice(1, 0, "127.0.0.1");
  return listen.apply(this, args);
};
