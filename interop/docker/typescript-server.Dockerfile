# The TypeScript AVP server as an image for the interop runner's Docker backend.
# Build from the repository root:
#   docker build -f interop/docker/typescript-server.Dockerfile -t avp-interop/typescript-server:dev .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY interop/implementations/typescript/package.json interop/implementations/typescript/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY interop/implementations/typescript/tsconfig.json ./
COPY interop/implementations/typescript/src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8787
ENV HOST=0.0.0.0 PORT=8787
CMD ["node", "dist/main.js"]
