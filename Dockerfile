# chatload in a small image: build with the Rust toolchain, run on distroless-like Debian
# slim as a non-root user. `docker build -t chatload .` from the repository root.
FROM rust:1.88-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin chatload \
    && strip target/release/chatload

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin chatload
COPY --from=build /src/target/release/chatload /usr/local/bin/chatload
USER 10001:10001
WORKDIR /home/chatload
ENTRYPOINT ["chatload"]
