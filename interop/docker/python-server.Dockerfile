# The Python AVP server (`avp serve`) as deployed from the release wheel. Built by `make images`
# (tools/docker-images.sh), which stages the context: wheels/ holds the release wheel of `make wheel`
# and its server dependencies for CPython 3.11, so the image installs offline.
ARG BASE
FROM ${BASE}
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/avp avp \
 && mkdir /data && chown avp:avp /data
COPY wheels /tmp/wheels
RUN python3 -m venv /opt/avp \
 && /opt/avp/bin/pip install --quiet --no-cache-dir --no-index --find-links /tmp/wheels "avp[server]" \
 && rm -rf /tmp/wheels
ARG VERSION
LABEL org.opencontainers.image.title="avp-python-server" org.opencontainers.image.version="${VERSION}"
# Every flag of `avp serve` has an environment variable (docs/server.md). All interfaces inside the
# container by default; the interop runner uses the host's network and sets AVP_HOST=127.0.0.1.
ENV PATH=/opt/avp/bin:$PATH PYTHONUNBUFFERED=1 AVP_HOST=0.0.0.0 AVP_PORT=8787 AVP_DB=/data/avp.sqlite3
USER avp
VOLUME /data
EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/.well-known/avp' % os.environ['AVP_PORT'], timeout=2)"]
CMD ["avp", "serve"]
