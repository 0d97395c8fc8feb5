# syntax=docker/dockerfile:1
# The one image of ai-trader (docker-compose.yml): the console (`apps/console/server.mjs`: Next plus the fast path for the hot lists), the workers and the
# migrate/seed job all run from this workspace; the service's command and working_dir pick which.
# The workspace packages are TypeScript run by tsx and Next, so the runtime keeps the full install.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG PNPM_VERSION=10.34.9

# 1. Every package of the lockfile, fetched from the lockfile alone: this layer survives source changes.
FROM ${NODE_IMAGE} AS deps
ARG PNPM_VERSION
ENV CI=true
WORKDIR /app
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN npx -y pnpm@${PNPM_VERSION} fetch

# 2. Link the workspace offline, generate the Prisma client, build the console.
FROM deps AS build
ARG PNPM_VERSION
ENV NEXT_TELEMETRY_DISABLED=1
COPY . .
RUN npx -y pnpm@${PNPM_VERSION} install --offline --frozen-lockfile \
 && node scripts/prisma-generate.mjs \
 && npx -y pnpm@${PNPM_VERSION} --filter @ai-trader/console build \
 && node scripts/build-bundles.mjs \
 && rm -rf apps/console/.next/cache

# 3. Runtime: no npm cache, no pnpm store; runs as the unprivileged `node` user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
WORKDIR /app/apps/console
CMD ["node", "server.mjs", "--port", "3000"]
