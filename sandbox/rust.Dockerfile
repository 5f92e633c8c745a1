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
# The crate C2Rust's Rust needs beyond std (a C bit-field derives c2rust-bitfields' BitfieldStruct),
# fetched here, at build time, because checks run offline: /.cargo/config.toml, which cargo reads
# for every project below /, points crates.io at this vendored copy. A project's own
# .cargo/config.toml still wins. host-ca.crt: see c2rust.Dockerfile.
COPY host-ca.crt /opt/recipe/
RUN if [ -s /opt/recipe/host-ca.crt ]; then export CARGO_HTTP_CAINFO=/opt/recipe/host-ca.crt; fi \
 && mkdir -p /tmp/vendor/src && cd /tmp/vendor && touch src/lib.rs \
 && printf '[package]\nname = "vendor"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\nc2rust-bitfields = "=0.22.1"\n' > Cargo.toml \
 && CARGO_HOME=/tmp/cargo-home cargo vendor --quiet /opt/cargo-vendor >/dev/null \
 && mkdir -p /.cargo \
 && printf '[source.crates-io]\nreplace-with = "vendored"\n\n[source.vendored]\ndirectory = "/opt/cargo-vendor"\n' > /.cargo/config.toml \
 && cd / && rm -rf /tmp/vendor /tmp/cargo-home /opt/recipe
