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
RUN pip install --no-cache-dir .
USER 65534:65534
ENV CHURNWATCH_WEB_HOST=0.0.0.0 CHURNWATCH_DATA_DIR=/tmp/churnwatch
EXPOSE 6066
ENTRYPOINT ["churnwatch"]
CMD ["worker"]
