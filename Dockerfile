# syntax=docker/dockerfile:1
#
# Builds the quickstart (or your own binary: change the `cargo build` line and the path copied
# to /usr/local/bin/app) and runs it from a small, non-root final image that listens on $PORT,
# as Serverless Containers require.
#
#   docker build -t scw-private-quickstart .
#   docker run --rm -p 8080:8080 scw-private-quickstart          # development mode, prints tokens
#
# A gRPC service (`--example grpc`, or yours) is deployed with `protocol: h2c`; the platform's
# probes are HTTP or TCP, so give it a TCP health check (see the crate's `guide::grpc`).
#
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --example quickstart \
 && cp target/release/examples/quickstart /usr/local/bin/app

# glibc and libgcc only (aws-lc is linked statically), no shell, runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/app /app
ENV PORT=8080
EXPOSE 8080
ENTRYPOINT ["/app"]
