# syntax=docker/dockerfile:1
#
# docker build --build-arg VERSION=$(git describe --tags --always --dirty) \
#   --build-arg COMMIT=$(git rev-parse HEAD) \
#   --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t fgd-sync .

# Build stage: static binaries, stamped the way `make build` stamps them.
FROM golang:1.26-bookworm AS build
ARG VERSION=""
ARG COMMIT=""
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN BUILDINFO=github.com/githedgehog/fgd-sync/internal/buildinfo && \
    LDFLAGS="-s -w -X ${BUILDINFO}.Version=${VERSION} -X ${BUILDINFO}.Commit=${COMMIT}" && \
    export CGO_ENABLED=0 && \
    go build -trimpath -buildvcs=false -ldflags="${LDFLAGS}" -o /out/fgd-webhook ./cmd/webhook && \
    go build -trimpath -buildvcs=false -ldflags="${LDFLAGS}" -o /out/fgd-worker ./cmd/worker && \
    go build -trimpath -buildvcs=false -ldflags="${LDFLAGS}" -o /out/fgdctl ./cmd/fgdctl && \
    mkdir -p /data/fgd-sync

# Run stage: no shell, no package manager; CA certificates and the nonroot
# user (65532) come with the image. git is not needed (go-git).
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=""
ARG COMMIT=""
ARG CREATED=""
LABEL org.opencontainers.image.title="fgd-sync" \
      org.opencontainers.image.description="Syncs Hedgehog fabric configuration from GitHub: webhook server, workers and fgdctl" \
      org.opencontainers.image.source="https://github.com/githedgehog/fgd-sync" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=build /out/ /usr/local/bin/
# The working clones live here (HEDGEHOG_FGD_DATA_DIR); distroless has no
# shell to create it, so it is copied in already owned by nonroot.
COPY --from=build --chown=65532:65532 /data/fgd-sync /var/lib/fgd-sync
USER nonroot:nonroot
EXPOSE 8080 9091
ENTRYPOINT []
CMD ["/usr/local/bin/fgd-webhook"]
