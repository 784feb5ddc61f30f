# Habitat Assistant: one image for every role — webhook replica (the default command), long-polling
# bot, reminder worker, and the maintenance commands (db upgrade, content apply).
#   docker build -t habitat-assistant:$(git rev-parse --short HEAD) .
# See docs/deploy.md ("Docker") for running it. Never build .env into the image (.dockerignore).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The pinned, hash-checked dependency tree first: a change to the code reuses this layer.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock

RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin habitat \
    && mkdir -p /data \
    && chown habitat:habitat /data
WORKDIR /app
# The packages run from /app (python -m bot); nothing else of the repository is needed.
COPY bot ./bot
COPY handlers ./handlers
COPY reminders ./reminders
COPY store ./store
# Admins' uploads replace files here (and keep the old ones in content/.history): writable.
COPY --chown=habitat:habitat content ./content

# Inside a container the server listens on all interfaces; publish the port to 127.0.0.1 only, or
# to the reverse proxy's network. Search indexes go to the /data volume.
ENV HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    LOG_FORMAT=json \
    CONTENT_DIR=/app/content \
    SEARCH_INDEX_DIR=/data/search-index
VOLUME ["/data"]
EXPOSE 8080
USER habitat

# 200 from /healthz: the database answers and content is loaded (503 while starting or stopping).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HTTP_PORT', '8080'), timeout=4)"

# docker stop sends SIGTERM: the bot stops taking updates (503), finishes what is in flight and
# exits within 10 s — Docker's default grace period.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "--webhook"]
