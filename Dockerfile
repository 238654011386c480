# syntax=docker/dockerfile:1
# The billing service's image: `docker build -t billing-service .` (README, Deployment).
# test/dockerfile.spec.ts checks this file against the repository: the paths it copies, the
# user, the command, the health check's route and the base images.

# ---- build: every dependency, the same `npm run build` the tests run, then only production dependencies ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
# The manifests first, so that the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
COPY emulator/package.json emulator/
COPY client/package.json client/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run -s build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node 24, production dependencies and dist/ only, not root ----
FROM node:24-bookworm-slim AS runtime
# The old generation capped at 320 MB and the young one at 2 x 16 MB (Node 24's default is 2 x 64):
# a full reconcile turns every listed subscription into rows that outlive a young-generation
# collection, and V8 left to itself lets that garbage grow the heap to several times what is live
# (100,000 subscriptions: peak RSS ~660 MB uncapped, ~310 MB with these). The price is CPU in the
# collector: ~40 % more for that run (see README, "Memory"); raise or drop it where memory is cheap.
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    NODE_OPTIONS="--max-old-space-size=320 --max-semi-space-size=16"
WORKDIR /app
# package.json: "type": "module" for dist/; node_modules: production dependencies, with the
# workspace links (@billing/client, @billing/stripe-emulator) to the two folders copied after it.
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The typed client's build: the billing page serves it to browsers.
COPY --from=build --chown=root:root /app/client/package.json ./client/package.json
COPY --from=build --chown=root:root /app/client/dist ./client/dist
# The Stripe emulator's build: loaded by the service in local mode, and run on its own by compose.yaml.
COPY --from=build --chown=root:root /app/emulator/package.json ./emulator/package.json
COPY --from=build --chown=root:root /app/emulator/dist ./emulator/dist
# Files owned by root, the process run as the image's unprivileged `node` user: it can read the
# code, not change it. It writes nothing but stdout (PostgreSQL holds the data).
USER node
EXPOSE 3000
# Ready: PostgreSQL answers, no migration is pending, the webhook worker runs (GET /health/ready).
# Node's own fetch, as the slim image has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself as PID 1 (no npm in between), so SIGTERM reaches the service, which drains and stops.
CMD ["node", "dist/src/main.js"]
