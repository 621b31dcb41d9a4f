# syntax=docker/dockerfile:1
# One image per app, built from the monorepo:
#   docker build --build-arg APP=signals -t meridian-signals .
# The image holds the app's bundle (dist/apps/<app>, as `npm run build` writes it) and only the
# production packages the bundle imports, installed from the lockfile the build cuts for it.
# Workers run from the same image with another command: node … worker.js (docs/deployment.md).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /repo
COPY . .
RUN npm ci --no-audit --no-fund
ARG APP
RUN test -n "$APP" || (echo "pass --build-arg APP=gateway|signals|backtest|monitor" >&2; exit 1)
RUN NX_DAEMON=false npx nx run "@meridian/${APP}:build" --outputStyle=static

FROM ${NODE_IMAGE} AS dependencies
ARG APP
WORKDIR /app
COPY --from=build /repo/dist/apps/${APP}/package.json /repo/dist/apps/${APP}/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ARG APP
ENV NODE_ENV=production HOST=0.0.0.0 LOG_FORMAT=json
WORKDIR /app
COPY --from=dependencies --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /repo/dist/apps/${APP}/ ./
USER node
# health.js reads the port from the same variables the app does; a worker's container overrides
# this with `node health.js worker`.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["node", "health.js"]
# telemetry.js first, so OpenTelemetry patches pg and ioredis before the app loads them.
CMD ["node", "--enable-source-maps", "--import", "./telemetry.js", "main.js"]
