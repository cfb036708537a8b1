# guidebot: docker build -t guidebot .
# Socket Mode: docker run --env-file .env -v guidebot-data:/data guidebot
# HTTP mode:   docker run --env-file .env -v guidebot-data:/data -p 127.0.0.1:3000:3000 guidebot \
#                  guidebot slack --http --host 0.0.0.0
#   guidebot listens on 127.0.0.1 unless told otherwise; inside the container it must listen on
#   0.0.0.0, so publish the port on the host's loopback only and put a reverse proxy (nginx,
#   Caddy: TLS, body and header timeouts, request buffering) in front; see README,
#   "Behind a reverse proxy". Outgoing proxy: -e HTTPS_PROXY=http://proxy.kommune.no:3128
# Teams:       docker run --env-file .env -v guidebot-data:/data -p 127.0.0.1:3978:3978 guidebot guidebot teams --host 0.0.0.0
#              (behind your TLS reverse proxy: Microsoft calls https://<host>/api/messages)
# Teams zip:   docker run --rm -v "$PWD:/out" -e TEAMS_CLIENT_ID=... guidebot guidebot teams package -o /out/guidebot-teams.zip
# Own knowledge: add -v "$PWD/knowledge:/knowledge:ro" -e GUIDEBOT_KNOWLEDGE=/knowledge
#
# Stopping: `docker stop` sends SIGTERM to guidebot, which is PID 1 (exec-form CMD, no shell in
# between) and handles it: it stops taking requests, answers what it accepted for up to
# GUIDEBOT_DRAIN_SECONDS (8 s, inside docker stop's 10 s) and exits 0; anything left waits in
# the database for the next start. Health: `guidebot health` checks the heartbeat the running
# bot writes while it is connected (and /healthz in HTTP mode); it creates no files.
FROM python:3.11-slim

# XDG_DATA_HOME puts the default database in the volume too, so an empty GUIDEBOT_DB (a line
# `GUIDEBOT_DB=` in an --env-file replaces the value below with "") still keeps the log in /data.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    GUIDEBOT_DB=/data/guidebot.sqlite3 XDG_DATA_HOME=/data GUIDEBOT_CACHE_DIR=/data/embeddings

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install . \
    && useradd --create-home --uid 10001 guidebot \
    && mkdir -p /data && chown guidebot /data

USER guidebot
# Embed the built-in knowledge now (about 90 s on two cores), into the cache's path in /data:
# Docker copies what the image holds there into a new named volume, so the first start embeds
# nothing and is ready within the health check's start period. A knowledge folder of your own
# is embedded on its first start (the cache keeps it for the next).
RUN guidebot ask "hei" > /dev/null
VOLUME ["/data"]
EXPOSE 3000 3978
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["guidebot", "health"]
CMD ["guidebot", "slack"]
