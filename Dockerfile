# Builds and runs the regional sync server. The image mirrors the README's quick start.
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
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/.build/release/rehabsync /usr/local/bin/rehabsync
COPY Config /etc/rehabsync
WORKDIR /var/lib/rehabsync
ENTRYPOINT ["rehabsync"]
CMD ["--help"]
