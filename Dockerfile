# destination-ontraport: the image an orchestrator (Airbyte, PyAirbyte) runs as
#   docker run --rm -i -v "$PWD/secrets:/secrets:ro" airbyte/destination-ontraport:0.1.0 \
#     write --config /secrets/config.json --catalog /secrets/catalog.json < messages.jsonl
# and a person runs the account doctor the same way (the entrypoint passes every argument on):
#   docker run --rm -v "$PWD/secrets:/secrets:ro" airbyte/destination-ontraport:0.1.0 doctor --config /secrets/config.json
# Only the connector package goes in: no tests, sandbox, benchmarks or virtualenv (see .dockerignore).
# The base image is the one metadata.yaml names in connectorBuildOptions.baseImage (a test keeps them equal).
FROM docker.io/airbyte/python-connector-base:4.0.0@sha256:d9894b6895923b379f3006fa251147806919c62b7d9021b5cd125bb67d7bbe22

WORKDIR /airbyte/integration_code

# Dependencies first, in their own layer: rebuilt only when the lock changes. As Airbyte builds a Poetry
# connector, exactly the MAIN dependencies of poetry.lock go into the system site-packages: the pinned Poetry
# (tools/poetry-requirements.txt) runs from a throwaway virtualenv, exports them with their hashes, pip
# installs that list (every file checked against the lock's hash, nothing resolved anew), and the
# virtualenv goes. `make image-test` compares the image's `pip freeze` with the lock.
COPY tools/poetry-requirements.txt /tmp/poetry-requirements.txt
COPY pyproject.toml poetry.lock ./
RUN python -m venv /tmp/poetry \
    && /tmp/poetry/bin/pip install --no-cache-dir --disable-pip-version-check --quiet \
        -r /tmp/poetry-requirements.txt \
    && /tmp/poetry/bin/poetry export --only main --format requirements.txt --output /tmp/requirements.txt \
    && pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore \
        --no-deps --require-hashes -r /tmp/requirements.txt \
    && rm -rf /tmp/poetry /tmp/poetry-requirements.txt /tmp/requirements.txt /root/.cache/pypoetry

# Then the connector itself (its dependencies are already in place), for the `destination-ontraport` script.
COPY README.md ./
COPY destination_ontraport ./destination_ontraport
RUN pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore --no-deps . \
    && destination-ontraport spec > /dev/null

# Run as the unprivileged `airbyte` user (uid 1000) that Airbyte's Python base image provides (it is
# created here only where a base image lacks it). Numeric, so that Kubernetes' runAsNonRoot can verify it.
RUN id -u airbyte > /dev/null 2>&1 \
    || (groupadd --gid 1000 airbyte \
        && useradd --uid 1000 --gid airbyte --no-create-home --shell /usr/sbin/nologin airbyte)
USER 1000

ENV AIRBYTE_ENTRYPOINT="destination-ontraport"
ENTRYPOINT ["destination-ontraport"]

LABEL io.airbyte.name=airbyte/destination-ontraport
LABEL io.airbyte.version=0.1.0
