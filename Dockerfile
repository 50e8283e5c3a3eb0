# syntax=docker/dockerfile:1
# Switchyard's container image (docs/DEPLOY.md). Three stages: `build` compiles dist/ with the dev
# dependencies, `deps` installs the production dependencies only, and the runtime stage copies the two
# next to what npm would publish (package.json `files`). The process runs as uid 1000 and writes only
# to /var/lib/switchyard (when the config puts the ledger there, as deploy/docker/switchyard.yaml does)
# and /tmp, so the root file system can be mounted read-only.
# deploy/docker/image.test.ts checks this file; deploy/docker/build-check.sh repeats its npm steps
# without Docker and starts the server as an unprivileged user.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: tsc needs no native addon, and `prepare` would compile before src/ is copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build`: tsc (types, checks), then scripts/bundle.mjs writes dist/bundle/, what the image runs.
COPY scripts ./scripts
RUN npm run build

FROM ${NODE_IMAGE} AS deps
# better-sqlite3 downloads a prebuilt addon; the compiler is its fallback when no prebuild matches or
# GitHub is unreachable. It stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips our own `prepare` (tsc is a dev dependency, dist/ comes from `build`);
# the rebuild then runs the one install script production needs.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && npm cache clean --force

FROM ${NODE_IMAGE}
# PID 1: tini forwards SIGTERM to node and reaps orphans (the HEALTHCHECK's processes, for one). Node
# as PID 1 would ignore SIGTERM until `serve` installs its handlers (src/cli/signals.ts), so a pod
# stopped while starting would wait out its whole grace period; with tini the default action applies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# A 32 MB young-generation semi-space (Node's default: 16): a streaming gateway allocates ~80 KB per
# request, nearly all of it garbage by the answer's end, and a scavenge costs what survives it (the
# requests in flight), not what it frees: half as many scavenges. Side by side at 64 connections
# (bench/README.md): streams 0.89-0.93x the CPU per request, json 0.97-0.99x; ~18 MB more RSS under
# load. NODE_OPTIONS, so `docker run -e NODE_OPTIONS=...` replaces it.
ENV NODE_OPTIONS="--max-semi-space-size=32"
WORKDIR /app
# Owned by root: the gateway cannot modify its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY pricing ./pricing
COPY --from=build /app/scripts/prepare.mjs ./scripts/prepare.mjs
RUN mkdir -p /etc/switchyard /var/lib/switchyard && chown 1000:1000 /var/lib/switchyard
VOLUME ["/var/lib/switchyard"]
# Numeric, so Kubernetes' runAsNonRoot can verify it (the image's `node` user is 1000).
USER 1000:1000
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tini", "--", "node", "/app/bin/switchyard.js"]
# The config is mounted here (a ConfigMap in Kubernetes, a bind mount with `docker run`).
CMD ["serve", "--config", "/etc/switchyard/switchyard.yaml"]
