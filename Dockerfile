# syntax=docker/dockerfile:1.7
# One multi-target Dockerfile at the root, not one per service: every image needs the same build context
# (the workspace's single uv.lock, libs/, protos/ and scripts/gen.py), so the shared stages are written once
# and BuildKit builds them once; a new service is one small `<svc>-build` + `<svc>` pair at the bottom.
#
#   docker build --target identity -t switchyard/identity .
#   docker build --target workers  -t switchyard/workers .
#   docker build --target mutations -t switchyard/mutations .
#   docker build --target deploy   -t switchyard/deploy .
#   docker build --target ingest   -t switchyard/ingest .
#   docker build --target agents   -t switchyard/agents .
#   docker build --target gateway  -t switchyard/gateway .
#   docker build --target otel-collector -t switchyard/otel-collector .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9
ARG OTELCOL_IMAGE=otel/opentelemetry-collector-contrib:0.115.1

FROM ${UV_IMAGE} AS uv

# Generated gRPC code is git-ignored, so images run the same codegen as `just gen`. Only grpcio-tools is
# needed for it; the version matches the pin in the root pyproject's dev group.
FROM ${PYTHON_IMAGE} AS contracts
ARG GRPCIO_TOOLS_VERSION=1.85.1
RUN pip install --no-cache-dir "grpcio-tools==${GRPCIO_TOOLS_VERSION}"
WORKDIR /src
COPY protos protos
COPY scripts/gen.py scripts/gen.py
RUN python scripts/gen.py

# The workspace with generated contracts in place: each `<svc>-build` syncs one member from the lock.
FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /usr/local/bin/uv
# --no-editable copies every workspace member into the venv, so the runtime stage needs only /app/.venv.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY . .
# The whole generated tree: switchyard.* and the wire-compatible top-level agent.v1 package.
COPY --from=contracts /src/libs/contracts/src libs/contracts/src

FROM builder AS identity-build
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package switchyard-identity

FROM builder AS workers-build
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package switchyard-workers

FROM builder AS mutations-build
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package switchyard-mutations

FROM builder AS deploy-build
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package switchyard-deploy

FROM builder AS ingest-build
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package switchyard-ingest

FROM builder AS agents-build
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package switchyard-agents

FROM builder AS gateway-build
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package switchyard-gateway

# Shared runtime: no build tools, a fixed numeric non-root user (Kubernetes' runAsNonRoot can only verify
# numeric ids), bytecode compiled at build time so a read-only root filesystem is enough.
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 switchyard \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin switchyard
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /app
COPY deploy/docker/healthcheck.py /app/healthcheck.py
USER 10001:10001

FROM runtime AS identity
COPY --from=identity-build /app/.venv /app/.venv
# The service binds loopback by default; in a container it must listen on every interface.
ENV IDENTITY_GRPC_HOST=0.0.0.0 \
    IDENTITY_GRPC_PORT=50051
EXPOSE 50051
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "grpc", "127.0.0.1:50051"]
ENTRYPOINT ["python", "-m", "switchyard.identity"]
CMD ["serve"]

FROM runtime AS workers
COPY --from=workers-build /app/.venv /app/.venv
ENV WORKERS_GRPC_HOST=0.0.0.0 \
    WORKERS_GRPC_PORT=50052
EXPOSE 50052
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "grpc", "127.0.0.1:50052"]
ENTRYPOINT ["python", "-m", "switchyard.workers"]
CMD ["serve"]

FROM runtime AS mutations
COPY --from=mutations-build /app/.venv /app/.venv
ENV MUTATIONS_GRPC_HOST=0.0.0.0 \
    MUTATIONS_GRPC_PORT=50053
EXPOSE 50053
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "grpc", "127.0.0.1:50053"]
ENTRYPOINT ["python", "-m", "switchyard.mutations"]
CMD ["serve"]

FROM runtime AS deploy
COPY --from=deploy-build /app/.venv /app/.venv
ENV DEPLOY_GRPC_HOST=0.0.0.0 \
    DEPLOY_GRPC_PORT=50054
EXPOSE 50054
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "grpc", "127.0.0.1:50054"]
ENTRYPOINT ["python", "-m", "switchyard.deploy"]
CMD ["serve"]

FROM runtime AS ingest
COPY --from=ingest-build /app/.venv /app/.venv
ENV INGEST_GRPC_HOST=0.0.0.0 \
    INGEST_GRPC_PORT=50056
EXPOSE 50056
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "grpc", "127.0.0.1:50056"]
ENTRYPOINT ["python", "-m", "switchyard.ingest"]
CMD ["serve"]

FROM runtime AS agents
COPY --from=agents-build /app/.venv /app/.venv
# Two ports: the internal AgentsService (the gateway's) and the public agent.v1 port that agents on
# customer servers dial. Health is served on the internal one, so that is what the probe asks.
ENV AGENTS_GRPC_HOST=0.0.0.0 \
    AGENTS_GRPC_PORT=50055 \
    AGENTS_AGENT_GRPC_HOST=0.0.0.0 \
    AGENTS_AGENT_GRPC_PORT=9090
EXPOSE 50055 9090
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "grpc", "127.0.0.1:50055"]
ENTRYPOINT ["python", "-m", "switchyard.agents"]
CMD ["serve"]

FROM runtime AS gateway
COPY --from=gateway-build /app/.venv /app/.venv
ENV GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "http", "http://127.0.0.1:8000/health"]
ENTRYPOINT ["python", "-m", "switchyard.gateway"]

# The upstream collector image is distroless (no shell, no wget), so a healthcheck could not run in it;
# its static binary runs unchanged on alpine, whose busybox wget probes the health_check extension.
FROM ${OTELCOL_IMAGE} AS otelcol-dist

FROM alpine:3.20 AS otel-collector
COPY --from=otelcol-dist /otelcol-contrib /otelcol-contrib
COPY deploy/otel/collector.yaml /etc/otelcol/config.yaml
USER 10001:10001
EXPOSE 4317 4318 13133
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:13133/"]
ENTRYPOINT ["/otelcol-contrib"]
CMD ["--config=/etc/otelcol/config.yaml"]
