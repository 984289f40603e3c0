# churnwatch worker image (used by docker-compose.yml; not built on the development machines,
# which have no Docker engine).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY agents agents
COPY churnwatch churnwatch
COPY config config
COPY embedded embedded
COPY sim sim
COPY streams streams
COPY topics topics
# Installed in place, so that the hot path's compiled build (config/native.py, mypyc) sits in
# /app/build/native beside its sources; the compiler and mypy serve the build only.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install --no-cache-dir -e . 'mypy>=1.10,<3' \
    && python -m config.native && python -c "from config import native; assert native.is_built()" \
    && rm -rf build/c build/temp \
    && pip uninstall -y mypy \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
USER 65534:65534
ENV CHURNWATCH_WEB_HOST=0.0.0.0 CHURNWATCH_DATA_DIR=/tmp/churnwatch
EXPOSE 6066
ENTRYPOINT ["churnwatch"]
CMD ["worker"]
