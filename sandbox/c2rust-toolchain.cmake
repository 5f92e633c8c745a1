# Read by the CMake build of c2rust's AST exporter (CMAKE_TOOLCHAIN_FILE, see c2rust.Dockerfile):
# TinyCBOR comes from the local repository made from Debian's sources, not from the network.
set(TINYCBOR_REPO "/opt/tinycbor" CACHE STRING "tinycbor git repo URL")
set(TINYCBOR_TAG "main" CACHE STRING "tinycbor git tag/branch/commit hash")
