# Passage router image. Node 24 runs the TypeScript sources directly (type stripping), so the image
# holds exactly the files it runs: router/, the production dependencies, and the small config writer
# the ECS task uses (infra/docker/write-files.ts).

# The base is pinned by digest (a tag can be moved to other bytes; a digest cannot). To update: pick a
# newer node:24 bookworm-slim tag and put it here with its multi-arch index digest (both stages use it).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
# tini is PID 1: it forwards SIGTERM to Node (which drains connections) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY router ./router
# The gRPC adapter contract, loaded at runtime by router/adapters/grpc.ts.
COPY proto ./proto
COPY infra/docker/write-files.ts ./infra/docker/write-files.ts
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
CMD ["node", "router/main.ts", "--config", "/etc/passage/passage.toml"]
