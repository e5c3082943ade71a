# lambdagate's container image: a static binary on an empty base, run as a
# non-root user, with the CA bundle for HTTPS backends and AWS. Where no
# registry can be reached, scripts/image.sh builds the same image with
# buildah from scratch, pulling nothing.
#
#   docker build -t lambdagate .
#   docker run -p 8080:8080 -v $PWD/krakend.json:/etc/lambdagate/krakend.json:ro lambdagate

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/lambdagate ./cmd/lambdagate

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/lambdagate /usr/local/bin/lambdagate
COPY deploy/image/krakend.json /etc/lambdagate/krakend.json
# 65532: no name, no home, no shell; the gateway writes nothing to disk.
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/lambdagate", "health"]
ENTRYPOINT ["/usr/local/bin/lambdagate"]
CMD ["run", "-c", "/etc/lambdagate/krakend.json"]
