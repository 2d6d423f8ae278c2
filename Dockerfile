# conveyor image: `docker compose build` (see docker-compose.yml), or
#   docker build -t conveyor . && docker run --env-file conveyor.env conveyor worker
#   docker run --env-file conveyor.env -e CONVEYOR_WEB_HOST=0.0.0.0 -e CONVEYOR_HOSTNAMES=conveyor.example.com -p 8234:8234 conveyor web
# The same commands as the Procfile's (node bin/conveyor.js worker | web); node is PID 1 (exec form),
# so `docker stop`'s SIGTERM reaches it directly.
# Node 24 is the current Node LTS line.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The workflow bundle is built here, once: workers start without webpack, and its hash is the build id.
RUN node node_modules/tsx/dist/cli.mjs scripts/bundle-workflows.ts /app/workflow-bundle.js

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    CONVEYOR_WORKFLOW_BUNDLE=/app/workflow-bundle.js \
    CONVEYOR_METRICS_ADDRESS=0.0.0.0:9464 \
    PORT=8234
WORKDIR /app
# The sources (.dockerignore leaves out node_modules, tests, local state and any conveyor.env).
COPY . .
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/workflow-bundle.js ./workflow-bundle.js
# No tokens in the image: they come from the environment (docker compose: env_file conveyor.env).
USER node
EXPOSE 8234 9464
ENTRYPOINT ["node", "bin/conveyor.js"]
CMD ["worker"]
