#!/usr/bin/env node
// The second baseline: Node's HTTP server alone, which reads the whole body and answers 200 — the ceiling of the
// runtime on this machine, below the web framework.
'use strict';
const http = require('node:http');

const server = http.createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    const json = JSON.stringify({ received: true, bytes });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  });
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
