FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY worker ./worker
COPY templates ./templates
COPY config ./config
RUN pip install --no-cache-dir . && useradd --create-home radar

USER radar
CMD ["radar", "worker"]
