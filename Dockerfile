# recovery-bot in a container: build the wheel, install it with the locked dependencies, run
# it as a non-root user. No secret is baked in: every setting comes from the environment at run
# time (compose.yaml reads them from .env; see .env.example and docs/DEPLOY.md).
#
#   docker build -t recovery-bot .
#   docker run --env-file .env -v recovery-bot-data:/data recovery-bot
#
# CI has no Docker engine: .ci/dockerfile_build.py runs the RUN commands of the build stage
# below verbatim (VENV and DIST in a temporary folder), then smoke-tests what it installed.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VENV=/opt/recovery-bot \
    DIST=/tmp/dist
WORKDIR /src
COPY . .
# The wheel (the bot, its model files, and the catalog and texts: intents/, content/); then the
# dependencies exactly as locked (every file's hash checked), then the wheel alone.
RUN pip wheel --no-deps --wheel-dir "$DIST" . \
 && python -m venv "$VENV" \
 && "$VENV/bin/pip" install --require-hashes --requirement requirements.txt \
 && "$VENV/bin/pip" install --no-deps --no-index "$DIST"/recovery_bot-*.whl \
 && "$VENV/bin/pip" check

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/recovery-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    XDG_DATA_HOME=/data \
    PORT=8080
# A user without a login shell or password; /data holds the SQLite file when DATABASE_URL is
# not set (mount a volume there).
RUN groupadd --system --gid 10001 bot \
 && useradd --system --no-log-init --uid 10001 --gid bot --create-home --home-dir /home/bot \
        --shell /usr/sbin/nologin bot \
 && mkdir /data \
 && chown bot:bot /data
COPY --from=build /opt/recovery-bot /opt/recovery-bot
USER 10001:10001
WORKDIR /home/bot
EXPOSE 8080
# /healthz answers 200 while the bot runs, in webhook and in polling mode (PORT is set above).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["recovery-bot", "healthcheck"]
CMD ["recovery-bot", "run"]
