# guidebot: docker build -t guidebot .
# Socket Mode: docker run --env-file .env -v guidebot-data:/data guidebot
# HTTP mode:   docker run --env-file .env -v guidebot-data:/data -p 127.0.0.1:3000:3000 guidebot \
#                  guidebot slack --http --host 0.0.0.0
#   guidebot listens on 127.0.0.1 unless told otherwise; inside the container it must listen on
#   0.0.0.0, so publish the port on the host's loopback only and put a reverse proxy (nginx,
#   Caddy: TLS, body and header timeouts, request buffering) in front; see README,
#   "Behind a reverse proxy". Outgoing proxy: -e HTTPS_PROXY=http://proxy.kommune.no:3128
# Own knowledge: add -v "$PWD/knowledge:/knowledge:ro" -e GUIDEBOT_KNOWLEDGE=/knowledge
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    GUIDEBOT_DB=/data/guidebot.sqlite3 GUIDEBOT_CACHE_DIR=/data/embeddings

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install . \
    && useradd --create-home --uid 10001 guidebot \
    && mkdir -p /data && chown guidebot /data

USER guidebot
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK CMD ["python", "-c", "import sqlite3, os; sqlite3.connect(os.environ['GUIDEBOT_DB']).execute('select 1')"]
CMD ["guidebot", "slack"]
