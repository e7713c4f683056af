# One image for every Refwire process (health checks belong to the API processes: GET /healthz, /readyz):
#   docker run … refwire            → refwire start (API + receivers + in-process processing)
#   docker run … refwire start --no-worker
#   docker run … refwire worker     → processing only (needs DATABASE_URL)
#   docker run … refwire migrate
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# the local stand-in for msgpackr's optional native module (see scripts/stubs) must exist before npm ci links it
COPY scripts/stubs ./scripts/stubs
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
# build.js generates the Prisma client (no native engine needed) and compiles TypeScript.
RUN node scripts/build.js && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/scripts/stubs ./scripts/stubs
COPY --from=build /app/dist ./dist
# migrations are applied at start and by `refwire migrate`
COPY --from=build /app/prisma ./prisma
# the tracking script served at /js/refwire.js
COPY static ./static
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["start"]
