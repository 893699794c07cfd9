# The Python AVP server (avp serve) as an image for the interop runner's Docker backend.
# Build from the repository root:
#   docker build -f interop/docker/python-server.Dockerfile -t avp-interop/python-server:dev .
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN python3 -m venv /opt/build && /opt/build/bin/pip install --quiet "maturin==1.16.0" \
 && /opt/build/bin/maturin build --release --out /wheels

FROM python:3.11-slim-bookworm
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels && useradd --create-home avp
USER avp
VOLUME /home/avp/data
EXPOSE 8787
# 0.0.0.0 inside the container only; the runner publishes the port on 127.0.0.1 of the host
CMD ["avp", "serve", "--host", "0.0.0.0", "--port", "8787", "--db", "/home/avp/data/avp.sqlite3"]
