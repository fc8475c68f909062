# The regional sync server in a container. Not built by our CI (no container engine
# there), so it stays small enough to review by eye, and it runs what .ci/run proves:
# the build stage runs .ci/run itself (build with warnings as errors, the whole suite),
# then builds the release binary. `--build-arg RUN_TESTS=false` skips the suite.
#
#   docker build -t rehabsync .
#   docker run -d --name rehabsync -p 127.0.0.1:8088:8088 -v rehabsync-data:/var/lib/rehabsync rehabsync
#
# Publish the port on loopback (or a network only the TLS proxy joins), never on the
# host's public interfaces: TLS ends at nginx (Config/nginx/), see the README.

# Keep in step with the toolchain CI uses.
FROM swift:6.3-bookworm AS build
ARG RUN_TESTS=true
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY Config ./Config
COPY .ci ./.ci
RUN if [ "$RUN_TESTS" = true ]; then bash .ci/run; else bash -c 'apt-get update -qq && apt-get install -y -qq libsqlite3-dev libcurl4-openssl-dev libssl-dev pkg-config'; fi \
 && swift build -c release --static-swift-stdlib --product rehabsync -Xswiftc -warnings-as-errors \
 && cp "$(swift build -c release --show-bin-path)/rehabsync" /usr/local/bin/rehabsync

# The same Debian release as the build image, so the C libraries match; only what the
# binary links (SQLite, libcurl, OpenSSL), time zones, and the CA roots.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-0 libcurl4 libssl3 tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/rehabsync --shell /usr/sbin/nologin rehabsync \
 && mkdir -p /var/lib/rehabsync && chown rehabsync:rehabsync /var/lib/rehabsync && chmod 0700 /var/lib/rehabsync
COPY --from=build /usr/local/bin/rehabsync /usr/local/bin/rehabsync
COPY Config /opt/rehabsync/Config
ENV REHABSYNC_LISTEN=0.0.0.0:8088 \
    REHABSYNC_DATA_DIR=/var/lib/rehabsync \
    TZ=Europe/Stockholm
VOLUME /var/lib/rehabsync
USER rehabsync
WORKDIR /var/lib/rehabsync
EXPOSE 8088
# /healthz until /readyz exists; `rehabsync healthcheck` needs no curl in the image.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["rehabsync", "healthcheck", "--url", "http://127.0.0.1:8088/healthz"]
# SIGTERM: stop accepting, finish requests in flight, checkpoint, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["rehabsync"]
CMD ["serve", "--config", "/opt/rehabsync/Config/rehabsync.json"]
