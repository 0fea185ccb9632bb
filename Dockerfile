# syntax=docker/dockerfile:1
# Intake as a container: a static, CGO-free binary on distroless/static,
# run as the distroless "nonroot" user (65532) with only /data writable.
# Run it with a read-only root file system:
#   docker run --read-only -p 8080:8080 -v intake-data:/data intake
# deploy/layout_test.go builds the binary with this file's flags and runs it
# with its user, environment, volume and health check on a read-only root:
# change them here and the test follows.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The built widget is committed under internal/widget/dist, so no Node here.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/intake ./cmd/intake
# The data volume's mount point, owned by the user that writes it: a named
# volume starts as a copy of it, with its owner.
RUN mkdir -p /out/data && chmod 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/intake /usr/local/bin/intake
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# The embedded default (SQLite, file blobs, a generated master key, all in
# /data) listening on every interface in plain HTTP: put TLS in front (an
# ingress or proxy, with INTAKE_PUBLIC_URL), or mount a certificate and set
# INTAKE_TLS_CERT and INTAKE_TLS_KEY. For PostgreSQL, S3 and a KMS key set
# INTAKE_DATABASE_URL(_FILE), INTAKE_BLOB_URL and INTAKE_MASTER_KEY_URL(_FILE).
ENV INTAKE_ADDR=0.0.0.0:8080 \
    INTAKE_DATA_DIR=/data \
    INTAKE_INSECURE_HTTP=true
VOLUME /data
EXPOSE 8080
# No shell or curl in distroless: the binary probes itself on loopback.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/intake", "healthcheck"]
# SIGTERM drains: /readyz turns 503, in-flight chunks finish, then exit.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/intake"]
CMD ["serve"]
