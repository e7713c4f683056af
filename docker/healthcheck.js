#!/usr/bin/env node
// The image's HEALTHCHECK, one command for every role (the slim image has no curl):
//   refwire start [--no-worker]  answers GET /readyz on PORT           (PostgreSQL or PGlite, and Redis with REDIS_URL)
//   refwire worker               answers GET /readyz on METRICS_PORT   (PostgreSQL, and Redis with REDIS_URL)
// Healthy when one of the two answers 200: in a container only one of them listens. `start --port N` is not
// seen here: set PORT instead.
'use strict';
const ports = [...new Set([process.env.PORT || '3000', process.env.METRICS_PORT].filter(Boolean))];

async function ready(port) {
  const url = `http://127.0.0.1:${port}/readyz`;
  let res;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  } catch (err) {
    throw new Error(`${url}: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
  }
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

Promise.any(ports.map(ready)).then(
  () => process.exit(0),
  (err) => {
    for (const e of err.errors) console.error(e.message); // shown by `docker inspect` under State.Health
    process.exit(1);
  },
);
