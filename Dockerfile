# trip-server for Amazon Bedrock AgentCore Runtime (MCP protocol: 0.0.0.0:8000/mcp).
# No architecture-specific step: build for AgentCore with `docker buildx build --platform linux/arm64`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The server package only; pyproject.toml needs README.md (its `readme`).
COPY pyproject.toml README.md ./
COPY mcp_server ./mcp_server
RUN pip install .

RUN useradd --create-home --uid 10001 trip
USER trip
# One microVM per AgentCore session: this file lives as long as the session (see README).
ENV TRIP_SERVER_DB=/home/trip/trips.db

EXPOSE 8000
ENTRYPOINT ["trip-server", "--container"]
