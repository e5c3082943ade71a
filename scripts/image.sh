#!/bin/sh
# scripts/image.sh: lambdagate's container image without pulling anything,
# as the Dockerfile builds it: a static binary (CGO_ENABLED=0) on scratch
# with the machine's CA bundle, non-root, `run -c /etc/lambdagate/krakend.json`
# by default, a HEALTHCHECK with `lambdagate health`. Debian's buildah builds it.
#
#   scripts/image.sh build [TAG]   build TAG (default lambdagate:dev)
#   scripts/image.sh can-run [IMAGE]
#                                  exit 0 when this machine can run containers
#                                  (podman runs IMAGE, else a probe image built
#                                  here, with `lambdagate version`), else print
#                                  why and exit 1
set -eu
cd "$(dirname "$0")/.."
# HEALTHCHECK exists in Docker's image format only.
export BUILDAH_FORMAT=docker
CA=/etc/ssl/certs/ca-certificates.crt

can_build() {
	command -v buildah >/dev/null 2>&1 || { echo "buildah is not installed (apt-get install -y buildah podman)"; return 1; }
	[ -r "$CA" ] || { echo "no CA bundle at $CA (apt-get install -y ca-certificates)"; return 1; }
}

can_run() {
	command -v podman >/dev/null 2>&1 || { echo "podman is not installed (apt-get install -y podman)"; return 1; }
	if [ -n "${1:-}" ]; then
		if ! err=$(podman run --rm --network host --entrypoint /usr/local/bin/lambdagate "$1" version 2>&1); then
			echo "podman cannot run a container here: $(echo "$err" | tail -n1)"; return 1
		fi
		return 0
	fi
	can_build || return 1
	# The smallest container there is: the CA bundle's image, running nothing
	# but podman's own check that it can create and start one.
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
	if ! CGO_ENABLED=0 go build -o "$out/lambdagate" ./cmd/lambdagate 2>"$out/err"; then
		echo "cannot build lambdagate: $(cat "$out/err")"; return 1
	fi
	ctr=$(buildah from scratch 2>"$out/err") || { echo "buildah cannot create a container here: $(tail -n1 "$out/err")"; return 1; }
	buildah copy "$ctr" "$out/lambdagate" /lambdagate >/dev/null
	buildah commit --rm "$ctr" lambdagate-canrun:probe >/dev/null 2>"$out/err" || { echo "buildah cannot commit an image here: $(tail -n1 "$out/err")"; return 1; }
	if ! podman run --rm --network host lambdagate-canrun:probe /lambdagate version >"$out/run" 2>&1; then
		echo "podman cannot run a container here: $(tail -n1 "$out/run")"
		podman rmi -f lambdagate-canrun:probe >/dev/null 2>&1 || true
		return 1
	fi
	podman rmi -f lambdagate-canrun:probe >/dev/null 2>&1 || true
}

build() {
	tag=${1:-lambdagate:dev}
	can_build >&2 || exit 1
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
	version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out/lambdagate" ./cmd/lambdagate
	ctr=$(buildah from scratch)
	buildah copy "$ctr" "$CA" /etc/ssl/certs/ca-certificates.crt >/dev/null
	buildah copy "$ctr" "$out/lambdagate" /usr/local/bin/lambdagate >/dev/null
	buildah copy "$ctr" deploy/image/krakend.json /etc/lambdagate/krakend.json >/dev/null
	buildah config --user 65532:65532 --port 8080 \
		--healthcheck 'CMD /usr/local/bin/lambdagate health' \
		--healthcheck-interval 10s --healthcheck-timeout 3s --healthcheck-start-period 5s --healthcheck-retries 3 \
		--entrypoint '["/usr/local/bin/lambdagate"]' --cmd 'run -c /etc/lambdagate/krakend.json' \
		--label org.opencontainers.image.title=lambdagate --label "org.opencontainers.image.version=$version" "$ctr"
	buildah commit --rm --format docker "$ctr" "$tag" >/dev/null
	echo "$tag"
}

case "${1:-}" in
build) shift; build "$@" ;;
can-run) shift; can_run "$@" ;;
*) echo "usage: scripts/image.sh build [TAG] | can-run [IMAGE]" >&2; exit 2 ;;
esac
