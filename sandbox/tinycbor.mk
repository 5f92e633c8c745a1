# Builds TinyCBOR's encoder and parser as the static library c2rust's AST exporter links.
# c2rust fetches TinyCBOR with git from a host the sandbox builds cannot reach; Debian ships the
# same library (0.6.0) inside Qt's source package, so c2rust.Dockerfile makes a local git
# repository of those files with this Makefile, which answers the targets the exporter's CMake
# calls: `.config`, the default build, and `install prefix=DIR`.
SRCS := src/cborencoder.c src/cborerrorstrings.c src/cborparser.c
OBJS := $(SRCS:.c=.o)
prefix ?= /usr/local

lib/libtinycbor.a: $(OBJS)
	mkdir -p lib
	$(AR) rcs $@ $(OBJS)

.config:
	touch .config

install: lib/libtinycbor.a
	mkdir -p $(prefix)/lib $(prefix)/include/tinycbor
	cp lib/libtinycbor.a $(prefix)/lib/
	cp src/cbor.h src/tinycbor-version.h $(prefix)/include/tinycbor/

.PHONY: install
