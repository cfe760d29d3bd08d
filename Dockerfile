# syntax=docker/dockerfile:1
# The jwt-factory image: one image for the factory and the three services, one process per
# container. The factory is the default command; a service's Deployment sets the command to
# `node … apps/service/dist/main.js servicea` (deploy/base/servicea.yaml). Configuration comes
# from the environment only (the Deployments' ConfigMaps and Secrets): no .env file is copied, and
# a missing .env reads as empty. Keys, certificates and data live on mounted volumes only.

# Build: every dependency, then the bundles (workspace packages bundled in, npm packages external).
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY apps/jwt-factory/package.json apps/jwt-factory/
COPY apps/service/package.json apps/service/
COPY apps/console/package.json apps/console/
COPY packages/config/package.json packages/config/
COPY packages/files/package.json packages/files/
COPY packages/hono-auth/package.json packages/hono-auth/
COPY packages/http-client/package.json packages/http-client/
COPY packages/jwt/package.json packages/jwt/
COPY packages/server/package.json packages/server/
COPY packages/tls/package.json packages/tls/
COPY packages/trace/package.json packages/trace/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime: production dependencies only (the bundles import them from node_modules), no scripts run.
FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/apps/jwt-factory/package.json apps/jwt-factory/
COPY --from=build /src/apps/service/package.json apps/service/
COPY --from=build /src/apps/console/package.json apps/console/
COPY --from=build /src/packages/config/package.json packages/config/
COPY --from=build /src/packages/files/package.json packages/files/
COPY --from=build /src/packages/hono-auth/package.json packages/hono-auth/
COPY --from=build /src/packages/http-client/package.json packages/http-client/
COPY --from=build /src/packages/jwt/package.json packages/jwt/
COPY --from=build /src/packages/server/package.json packages/server/
COPY --from=build /src/packages/tls/package.json packages/tls/
COPY --from=build /src/packages/trace/package.json packages/trace/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/apps/jwt-factory/dist/main.js apps/jwt-factory/dist/main.js
COPY --from=build /src/apps/jwt-factory/policy.json apps/jwt-factory/policy.json
COPY --from=build /src/apps/service/dist/main.js apps/service/dist/main.js
# The factory's CLIs: users for `kubectl exec` into a factory, clients for the Job that registers
# the services' OAuth clients (deploy/base/jwt-factory-demo-clients.yaml), store to import/export.
COPY --from=build /src/apps/jwt-factory/dist/users-cli.js apps/jwt-factory/dist/users-cli.js
COPY --from=build /src/apps/jwt-factory/dist/clients-cli.js apps/jwt-factory/dist/clients-cli.js
COPY --from=build /src/apps/jwt-factory/dist/store-cli.js apps/jwt-factory/dist/store-cli.js
# A user of its own, not root; the code stays root-owned, so the process cannot change it.
RUN groupadd --gid 10001 jwt && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin jwt
USER 10001:10001
# HTTP (public endpoints only beyond loopback) and HTTPS (mutual TLS for issuing).
EXPOSE 5555 5443
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=128", "apps/jwt-factory/dist/main.js"]
