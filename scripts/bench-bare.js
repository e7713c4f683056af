#!/usr/bin/env node
// The baseline: a bare Express 5 server that reads the raw body on the webhook route and answers 200.
'use strict';
const express = require('express');

const app = express();
app.post('/webhook/:provider/:projectId', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
  res.status(200).json({ received: true, bytes: Buffer.isBuffer(req.body) ? req.body.length : 0 });
});
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
