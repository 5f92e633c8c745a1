# Sandbox image for Rust repositories: Debian's Rust 1.85 toolchain (cargo, rustc, clippy) on top
# of the core image. Built on demand or by `agent sandbox build --image all`.
# The `-web` packages are bookworm's newer Rust (1.63 is too old for `core::ffi` C types, which
# C-to-Rust code and the transpiler's output use).
ARG BASE=agent-sandbox-core
FROM ${BASE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends cargo-web rustc-web rust-web-clippy \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
