# syntax=docker/dockerfile:1
# idemproxy: a static binary on an empty image, run as a non-root user.
#   docker build -t idemproxy .
#   docker run -p 8080:8080 -p 9090:9090 idemproxy -config /etc/idemproxy/config.yaml \
#       -admin-listen :9090 -upstream http://api:8081 -redis redis://redis:6379

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that source edits do not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
# CGO off: a static binary that runs on an empty image.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/idemproxy ./cmd/idemproxy \
 && mkdir -p /out/etc/idemproxy && cp config.yaml /out/etc/idemproxy/config.yaml

FROM scratch
# CA roots for rediss:// and https upstreams.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/idemproxy /idemproxy
COPY --from=build /out/etc/idemproxy /etc/idemproxy
# Not root: nobody's uid; the binary needs no file system writes.
USER 65532:65532
EXPOSE 8080 9090
# The image has no shell or curl: the binary probes its own admin listener.
HEALTHCHECK --interval=10s --timeout=4s --start-period=5s --retries=3 \
  CMD ["/idemproxy", "-healthcheck", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/idemproxy"]
# The admin listener binds all interfaces in a container so Prometheus can
# scrape it; keep port 9090 off the public network.
CMD ["-config", "/etc/idemproxy/config.yaml", "-admin-listen", ":9090"]
