# Passage router image. It runs JavaScript compiled by tsc (`npm run build` → dist/), not the .ts
# sources: type stripping at run time costs about 17 MB of memory per router and start-up time. The
# image holds exactly what it runs: dist/ (router/, the small config writer the ECS task uses, the
# gRPC proto), and the production dependencies.

# The base is pinned by digest (a tag can be moved to other bytes; a digest cannot). To update: pick a
# newer node:24 bookworm-slim tag and put it here with its multi-arch index digest (both stages use it).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# All dependencies (tsc and @types/node are devDependencies); only dist/ leaves this stage.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY router ./router
COPY proto ./proto
COPY infra/docker/write-files.ts ./infra/docker/write-files.ts
COPY scripts/build ./scripts/build
# tsc and the asset step run on this image's Node, as `npm run build` does.
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json && node scripts/build/assets.ts

FROM ${NODE_IMAGE}
# tini is PID 1: it forwards SIGTERM to Node (which drains connections) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# A smaller young generation. Under a flood of short connections V8 grows each semi-space to its
# maximum (tens of MiB: the heap reached 160 MiB and RSS 203 MiB in the reliability fuzz scenario);
# capped at 8 MiB, scavenges run more often on less garbage and peak RSS stayed at about 130 MiB (the
# old generation grew from about 27 to 45 MiB: what survives is promoted sooner; docs/RELIABILITY.md).
# In NODE_OPTIONS so that the ECS task's and the Kubernetes manifest's own `node …` commands get it too.
ENV NODE_OPTIONS=--max-semi-space-size=8
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
# dist/ also holds its own package.json (version, "type": "module") and proto/ (the gRPC adapter
# contract, read at runtime by dist/router/adapters/grpc.js).
COPY --from=build /app/dist ./dist
COPY infra/docker/healthcheck.sh ./infra/docker/healthcheck.sh
# The task writes its rendered config and keys here at start; the table cache survives restarts of
# the process (not of the task).
RUN mkdir -p /etc/passage/keys /var/cache/passage \
 && chown -R node:node /etc/passage /var/cache/passage
# The ECS task runs with a read-only root filesystem and mounts task-local volumes here; declared as
# VOLUMEs, they start with this ownership (Fargate bind mounts otherwise belong to root).
VOLUME ["/etc/passage", "/var/cache/passage", "/tmp"]
USER node
EXPOSE 25565 9565
# For docker run and compose only (ECS and Kubernetes ignore it and check /readyz themselves). A bash
# /dev/tcp request, not a second Node process every interval: a few milliseconds and megabytes.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/bin/bash", "/app/infra/docker/healthcheck.sh"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/router/main.js", "--config", "/etc/passage/passage.toml"]
