# Sandbox image for Rust repositories: Debian's cargo and rustc on top of the core image.
# Built only on demand (`agent sandbox build --image rust`): it is large and slow to build.
ARG BASE=agent-sandbox-core
FROM ${BASE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends cargo rustc \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
