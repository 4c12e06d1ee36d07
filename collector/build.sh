#!/usr/bin/env bash
# Builds the binaries the collector tests and `npm run stack` run, into .collector/ (ignored by git):
#   collector/build.sh collector   .collector/otelcol-convonet from collector/manifest.yaml (npm run collector:build)
#   collector/build.sh jaeger      .collector/jaeger, Jaeger v2 from its Go module (npm run jaeger:build)
#   collector/build.sh             both
# A binary is reused while what it is built from is unchanged: a hash of its inputs is kept beside it.
# Needs Go only when something has to be built; the first build downloads modules and takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

# One release for the manifest, the builder and docker-compose.yml's otelcol-contrib image.
BUILDER_VERSION=v0.161.0
# Jaeger v2.10.0, the image docker-compose.yml pins. Jaeger tags each release twice (v1.73.0 and
# v2.10.0 are one commit), and its Go module, github.com/jaegertracing/jaeger, carries the v1 tag.
JAEGER_VERSION=v2.10.0
JAEGER_MODULE_VERSION=v1.73.0

out=.collector

usage() {
  cat <<EOF
Builds, with Go, what the collector tests and npm run stack run, into .collector/ (ignored by git).
A build is reused while what it is built from is unchanged, and then Go is not needed.

  npm run collector:build     .collector/otelcol-convonet from collector/manifest.yaml (otelcol-contrib ${BUILDER_VERSION#v})
  npm run jaeger:build        .collector/jaeger, Jaeger ${JAEGER_VERSION} from its Go module
  collector/build.sh          both
EOF
}

# Usage: fresh <binary> <inputs>; true when <binary> exists and was built from exactly <inputs>.
fresh() {
  [ -x "$1" ] && [ "$(cat "$1.inputs" 2>/dev/null)" = "$(sha256sum <<<"$2")" ]
}

# Usage: need_go <binary>; one line and exit 1 when there is no Go to build <binary> with.
need_go() {
  command -v go >/dev/null || {
    echo "collector/build.sh: Go is not installed, and $1 needs building (https://go.dev/doc/install)" >&2
    exit 1
  }
}

build_collector() {
  local binary=$out/otelcol-convonet
  local inputs
  inputs="builder $BUILDER_VERSION
$(cat collector/manifest.yaml)"
  if fresh "$binary" "$inputs"; then
    echo "collector/build.sh: $binary is up to date"
    return
  fi
  need_go "$binary"
  if [ "$("$out/bin/builder" version 2>&1)" != "ocb version $BUILDER_VERSION" ]; then
    echo "collector/build.sh: installing the collector builder $BUILDER_VERSION into $out/bin"
    GOBIN="$PWD/$out/bin" go install "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION"
  fi
  echo "collector/build.sh: building $binary from collector/manifest.yaml"
  "$out/bin/builder" --config=collector/manifest.yaml
  # The builder writes sources and binary to the manifest's output_path; keep the binary where everyone looks.
  mv "$out/otelcol-convonet-src/otelcol-convonet" "$binary"
  sha256sum <<<"$inputs" >"$binary.inputs"
  echo "collector/build.sh: built $binary ($("$binary" --version))"
}

build_jaeger() {
  local binary=$out/jaeger
  local inputs="jaeger $JAEGER_VERSION module $JAEGER_MODULE_VERSION"
  if fresh "$binary" "$inputs"; then
    echo "collector/build.sh: $binary is up to date"
    return
  fi
  need_go "$binary"
  echo "collector/build.sh: building $binary (Jaeger $JAEGER_VERSION) from github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION"
  # A throwaway module that requires Jaeger as a tool: `go install pkg@version` refuses modules
  # with replace directives, and Jaeger's go.mod has one.
  local src=$out/jaeger-src
  rm -rf "$src" && mkdir -p "$src"
  (
    cd "$src"
    go mod init convonet/jaeger 2>/dev/null
    # Hundreds of "go: added" lines: kept in a log, shown only when it fails.
    go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_MODULE_VERSION" >get.log 2>&1 || { tail -20 get.log >&2; exit 1; }
    go build -trimpath -o ../jaeger \
      -ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION" \
      github.com/jaegertracing/jaeger/cmd/jaeger
  )
  sha256sum <<<"$inputs" >"$binary.inputs"
  echo "collector/build.sh: built $binary"
}

for argument in "$@"; do
  case "$argument" in -h | --help) usage; exit 0 ;; esac
done

mkdir -p "$out"
case "${1:-all}" in
  collector) build_collector ;;
  jaeger) build_jaeger ;;
  all) build_collector && build_jaeger ;;
  *) usage >&2; exit 2 ;;
esac
