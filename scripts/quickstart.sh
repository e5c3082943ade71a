#!/usr/bin/env bash
# Runs lambdagate on the bundled example: the gateway on 127.0.0.1:8080 with
# the local Lambda runtime serving the Node.js, Go and Python functions of
# examples/quickstart/functions. No AWS account, no Docker.
#
# It installs python3 and node with apt-get when they are missing (the
# Python and Node.js functions need them), then builds and runs the gateway.
# Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (needed by the example functions) with apt-get"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The local runtime needs no AWS credentials; make sure nothing looks for them.
export AWS_EC2_METADATA_DISABLED=true

exec go run ./cmd/lambdagate run -c examples/quickstart/krakend.json --functions examples/quickstart/functions "$@"
