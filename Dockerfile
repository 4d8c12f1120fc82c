# The commerce engine: one image, one CLI; the process is chosen by the subcommand
# (serve | command-api | relay | projector | saga-runner | read-api | projections | dlq), see docker-compose.yml.

FROM node:20-slim AS build
WORKDIR /app
# compilers for native modules (better-sqlite3) in case no prebuilt binary matches the platform
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=3000 \
  DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/dashboard/dist ./dashboard/dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
CMD ["node", "dist/app/cli/main.js", "serve"]
