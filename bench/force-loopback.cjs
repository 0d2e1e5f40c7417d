// Preloaded (node --require) into the npm peers, which listen on every interface: binds each of
// their servers to 127.0.0.1 instead, so the bench never exposes a port beyond loopback, and moves
// a listen on port 80 (portless's http->https redirect server) to an ephemeral port.
"use strict";
const net = require("node:net");

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    const port = Number(first) === 80 ? 0 : Number(first);
    const rest = args.slice(1);
    if (typeof rest[0] === "string") rest.shift();
    return listen.call(this, port, "127.0.0.1", ...rest);
  }
  if (first && typeof first === "object" && "port" in first) {
    const port = Number(first.port) === 80 ? 0 : first.port;
    return listen.call(this, { ...first, port, host: "127.0.0.1" }, ...args.slice(1));
  }
  return listen.apply(this, args);
};
