# One image for every Refwire process (docker-compose.yml builds it once as refwire:local):
#   docker run … refwire            → refwire start (API + receivers + in-process processing, embedded database in /data)
#   docker run … refwire start --no-worker
#   docker run … refwire worker     → processing only (needs DATABASE_URL); /metrics and /readyz on METRICS_PORT
#   docker run … refwire migrate
# HEALTHCHECK (docker/healthcheck.js): GET /readyz on PORT (start) or on METRICS_PORT (worker).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# the local stand-in for msgpackr's optional native module (see scripts/stubs) must exist before npm ci links it
COPY scripts/stubs ./scripts/stubs
# --ignore-scripts: the only install scripts are Prisma's (a Node version check, the native engine download),
# which build.js does not need
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
# the affiliate portal's browser code, bundled by esbuild and terser into dist/web (served at /js/refwire-portal.js)
COPY web ./web
# build.js generates the Prisma client (no native engine needed), bundles web/ and compiles TypeScript into dist/.
RUN node scripts/build.js
# Runtime dependencies only. --omit=optional as well: prisma, typescript, @prisma/studio-core and ~130 more are
# devDependencies that are also optional peers of @prisma/client, which `--omit=dev` alone keeps (418 MB);
# the only optional runtime packages are pg-cloudflare (Workers only) and the msgpackr-extract stub (msgpackr
# falls back to its JavaScript decoder either way). Then drop the query compilers for other databases.
COPY docker/prune-prisma-runtime.js ./docker/
RUN npm prune --omit=dev --omit=optional --no-audit --no-fund \
 && node docker/prune-prisma-runtime.js \
 && rm -rf node_modules/.cache  # prisma generate's config cache
# Smoke test of the pruned tree: migrate an embedded database and run a Prisma query through the compiler kept above.
RUN DATA_DIR=/tmp/smoke node dist/cli.js project create --name smoke --json >/dev/null && rm -rf /tmp/smoke

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    METRICS_PORT=9464 \
    DATA_DIR=/data
WORKDIR /app
# package.json: the version in /openapi.json
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# migrations are applied at start and by `refwire migrate`
COPY prisma ./prisma
# the tracking script served at /js/refwire.js
COPY static ./static
# the recorded provider payloads `refwire simulate` builds its sequences on
COPY fixtures ./fixtures
COPY docker/healthcheck.js ./docker/healthcheck.js
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "docker/healthcheck.js"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["start"]
