# Sandbox image for Python and C/C++ repositories: python3 + pytest, gcc/g++, make, cmake (ctest).
# `agent sandbox build` passes BASE=agent-sandbox-base (a local debootstrap import);
# `agent sandbox build --from-registry` keeps the default below.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python3-pytest gcc g++ libc6-dev make cmake \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
