# The regional sync server. Mirrors the README's quick start: settings from Config/,
# data in a volume. Not built in CI (no Docker engine there); kept in step by hand.
FROM swift:6.0-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-dev libcurl4-openssl-dev libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
RUN swift build -c release --static-swift-stdlib --product rehabsync

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-0 libcurl4 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/rehabsync rehabsync \
 && mkdir -p /var/lib/rehabsync && chown rehabsync /var/lib/rehabsync
COPY --from=build /src/.build/release/rehabsync /usr/local/bin/rehabsync
WORKDIR /opt/rehabsync
COPY Config ./Config
ENV REHABSYNC_LISTEN=0.0.0.0:8088 REHABSYNC_DATA_DIR=/var/lib/rehabsync
VOLUME /var/lib/rehabsync
USER rehabsync
EXPOSE 8088
ENTRYPOINT ["rehabsync"]
CMD ["serve"]
