# The TypeScript AVP server (`node dist/main.js`). Built by `make images` (tools/docker-images.sh),
# which stages the context: app/ holds dist/, package.json and the production node_modules of the
# host build, and node/ the host's Node binary, the one better-sqlite3's addon was compiled for
# (Debian bookworm's nodejs is 18, older than better-sqlite3 12 supports).
ARG BASE
FROM ${BASE}
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/avp avp && mkdir /data && chown avp:avp /data
COPY node/node /usr/local/bin/node
COPY app /app
WORKDIR /app
ARG VERSION
LABEL org.opencontainers.image.title="avp-typescript-server" org.opencontainers.image.version="${VERSION}"
# HOST, PORT and AVP_DB as in interop/implementations/typescript/README.md; SQLite on the volume.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8787 AVP_DB=/data/avp.sqlite3
USER avp
VOLUME /data
EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/.well-known/avp').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
