# Build stage: static binaries.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/fgd-webhook ./cmd/webhook && \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/fgd-worker ./cmd/worker && \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/fgdctl ./cmd/fgdctl

# Run stage: git is not needed (go-git), only CA certificates.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* && \
    useradd --system --uid 10001 --home /var/lib/fgd-sync fgd && mkdir -p /var/lib/fgd-sync && chown fgd /var/lib/fgd-sync
COPY --from=build /out/ /usr/local/bin/
USER fgd
EXPOSE 8080
ENTRYPOINT []
CMD ["/usr/local/bin/fgd-webhook"]
