# One image for every Maillage process: `maillage service <name>`, `maillage migrate`, `maillage backup`…
# Build: docker build -t maillage:0.1.0 .      (compose.yaml builds it as maillage:${MAILLAGE_VERSION})
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY maillage ./maillage
# Not editable: the image holds the package, its data files and its migrations, not the source tree.
RUN python -m venv /opt/maillage && /opt/maillage/bin/pip install .

FROM python:3.11-slim-bookworm
# postgresql-client: pg_dump/pg_restore for `maillage backup` at the hub (bookworm: 15, like the server).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client tini \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/maillage /opt/maillage
RUN useradd --system --uid 10001 --home-dir /var/lib/maillage maillage \
 && mkdir -p /var/lib/maillage && chown maillage:maillage /var/lib/maillage
ENV PATH=/opt/maillage/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MAILLAGE_DATA_DIR=/var/lib/maillage \
    MAILLAGE_METRICS_HOST=0.0.0.0 \
    MAILLAGE_METRICS_PORT=9464 \
    MAILLAGE_LOG_FORMAT=json
USER maillage
WORKDIR /var/lib/maillage
VOLUME ["/var/lib/maillage"]
# 9464: /metrics, /healthz, /readyz of every process; 9470: reporting's dashboard.
EXPOSE 9464 9470
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('MAILLAGE_METRICS_PORT', '9464'), timeout=4)"]
# tini forwards SIGTERM so `maillage` drains (finishes its batch, publishes its outbox) before exiting.
ENTRYPOINT ["tini", "--", "maillage"]
CMD ["up"]
