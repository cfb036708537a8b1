# guidebot: docker build -t guidebot . && docker run --rm -it guidebot
# Replace the knowledge: docker run -v "$PWD/knowledge:/knowledge:ro" -e GUIDEBOT_KNOWLEDGE=/knowledge ...
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install . && useradd --create-home --uid 10001 guidebot

USER guidebot
# The Slack adapter arrives with issue #3; until then the container runs the terminal chat.
CMD ["guidebot", "chat"]
