# guidebot: docker build -t guidebot .
# Socket Mode: docker run --env-file .env -v guidebot-data:/data guidebot
# HTTP mode:   docker run --env-file .env -v guidebot-data:/data -p 3000:3000 guidebot guidebot slack --http
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
