# The C2Rust transpiler (crates.io c2rust 0.22.1, against Debian's LLVM/Clang 14) on top of the
# rust image, for C-to-Rust runs: `c2rust transpile` reads a compile_commands.json (CMake writes
# one; `bear` records one from a Makefile build) and writes unsafe Rust for every C function.
# Only `agent sandbox build --image c2rust` builds it, never "all": compiling c2rust takes about
# 25 minutes on 2 cores.
ARG BASE=agent-sandbox-rust
FROM ${BASE} AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends llvm-dev libclang-dev clang git xz-utils ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# TinyCBOR, which c2rust's AST exporter would clone from a git host: Debian ships it (0.6.0) in
# Qt's source package, so it comes from the apt mirror like everything else.
COPY tinycbor.mk c2rust-toolchain.cmake host-ca.crt /opt/recipe/
RUN if [ -f /etc/apt/sources.list.d/debian.sources ]; then \
      sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources; \
    else sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/src.list; fi \
 && apt-get update && mkdir -p /tmp/qt && cd /tmp/qt \
 && apt-get source --download-only qtbase-opensource-src \
 && tar -xJf qtbase-opensource-src_*.orig.tar.xz --wildcards '*/src/3rdparty/tinycbor/src/*' \
 && mkdir -p /opt/tinycbor && mv */src/3rdparty/tinycbor/src /opt/tinycbor/src \
 && cp /opt/recipe/tinycbor.mk /opt/tinycbor/Makefile && cd /opt/tinycbor \
 && git init -q -b main && git add -A \
 && git -c user.name=recipe -c user.email=recipe@localhost commit -q -m tinycbor \
 && rm -rf /tmp/qt /var/lib/apt/lists/*
# host-ca.crt: the building host's CA certificates (agent sandbox build adds them), for a host
# whose HTTPS goes through a proxy with its own CA; empty when the host has none.
# The rust image points crates.io at its vendored crates (for offline checks); this stage, which
# is thrown away, fetches the transpiler from crates.io itself.
RUN rm -f /.cargo/config.toml \
 && if [ -s /opt/recipe/host-ca.crt ]; then export CARGO_HTTP_CAINFO=/opt/recipe/host-ca.crt; fi \
 && CMAKE_TOOLCHAIN_FILE=/opt/recipe/c2rust-toolchain.cmake \
    cargo install c2rust --version 0.22.1 --locked --root /opt/c2rust \
 && rm -rf /root/.cargo/registry

FROM ${BASE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang bear libclang-cpp14 libllvm14 \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/c2rust/bin/ /usr/local/bin/
LABEL agent.c2rust-version=0.22.1
RUN c2rust --version
