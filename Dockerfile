# tm-archiver-kit: the simulator, the conformance suite and the reference connector as static
# executables on an empty base. The layout is docker/rootfs.sh's, which docker/test-empty-root.sh
# runs in a chroot in CI (no libc, no loader, no /etc), so that CI proves what this image holds.
#
#   docker build --build-arg TM_CONFORMANCE_GIT_REVISION=$(git rev-parse HEAD) -t tm-archiver-kit .
#   docker run --rm -p 8080:8080 tm-archiver-kit                      # the simulator, demo scenario
#   docker run --rm -e TM_CONFORMANCE_SCENARIO=window tm-archiver-kit /tm-conformance run
#
# Every flag of `tm-simulator serve` and `tm-conformance run` is also read from an environment
# variable (TM_SIMULATOR_*, TM_CONFORMANCE_*: README "Run it in your CI without Rust").

FROM rust:1.95-bookworm AS build
# The build context has no .git (.dockerignore): the revision a certification bundle records.
ARG TM_CONFORMANCE_GIT_REVISION=unknown
ENV TM_CONFORMANCE_GIT_REVISION=${TM_CONFORMANCE_GIT_REVISION}
WORKDIR /src
COPY . .
RUN docker/build-static.sh && docker/rootfs.sh /rootfs

FROM scratch
COPY --from=build /rootfs /
WORKDIR /
ENV TMPDIR=/tmp \
    TM_SIMULATOR_LISTEN=0.0.0.0:8080 \
    TM_CONFORMANCE_FIXTURES=/fixtures
EXPOSE 8080
ENTRYPOINT []
CMD ["/tm-simulator", "serve"]
