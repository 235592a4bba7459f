#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kubectl, helm) from source with Go into a
# per-machine cache, once. Later runs only check that the binaries are there, in milliseconds.
#
#   scripts/controlplane/ensure.sh              build what is missing, then print the paths
#   scripts/controlplane/ensure.sh --print-env  same, but stdout carries only KEY=value lines
#
# stdout is always machine-readable: one KEY=value per line (the value is the rest of the line),
# keys KUBE_APISERVER, ETCD, KUBECTL, HELM (absolute paths) and KUBERNETES_VERSION, ETCD_VERSION,
# HELM_VERSION. Progress goes to stderr.
#
# Versions are pinned by the go.mod (and go.sum) of the three wrapper modules next to this
# script: kubernetes/ (kube-apiserver, kubectl), etcd/, helm/. Each gets its own folder
# ${MCP_RESIDENCY_CACHE:-$HOME/.cache/mcp-residency}/bin/<name>-<version>-<hash>/, where hash
# covers go.mod, go.sum and the build recipe below, so bumping a version (or a flag) rebuilds.
set -euo pipefail

# Bump when the build recipe (flags, ldflags) changes, to force a rebuild everywhere.
RECIPE=1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${MCP_RESIDENCY_CACHE:-$HOME/.cache/mcp-residency}
bindir=$cache/bin
print_env=false
case "${1:-}" in
  --print-env) print_env=true ;;
  "") ;;
  -h | --help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "ensure.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

log() { echo "$@" >&2; }

# The version a wrapper module requires of a module, read straight from go.mod (no network,
# no Go needed on the fast path).
modversion() {
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$here/$1/go.mod"
}

sha256() { if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi; }

# <name>-<version>-<first 12 hex of sha256(recipe, go.mod without comments, go.sum)>
slot() {
  local mod=$1 version=$2 sum
  # comment lines of go.mod do not count: editing them should not rebuild
  sum=$( { echo "recipe=$RECIPE"; sed '/^[[:space:]]*\/\//d' "$here/$mod/go.mod"; cat "$here/$mod/go.sum"; } | sha256 | cut -c1-12)
  echo "$bindir/$mod-$version-$sum"
}

k8s_version=$(modversion kubernetes k8s.io/kubernetes)
etcd_version=$(modversion etcd go.etcd.io/etcd/server/v3)
helm_version=$(modversion helm helm.sh/helm/v4)
for v in k8s_version etcd_version helm_version; do
  [[ -n ${!v} ]] || { log "ensure.sh: could not read ${v%_version}'s version from its go.mod"; exit 1; }
done
k8s_dir=$(slot kubernetes "$k8s_version")
etcd_dir=$(slot etcd "$etcd_version")
helm_dir=$(slot helm "$helm_version")

ready() { [[ -f $1/.complete ]]; }

# go build of one main package of a wrapper module into a staging folder.
gobuild() {
  local mod=$1 out=$2 pkg=$3 ldflags=$4
  (
    cd "$here/$mod"
    GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 \
      go build -trimpath -buildvcs=false -ldflags="-s -w $ldflags" -o "$out" "$pkg"
  )
}

# build <slot dir> <version> <wrapper module> then, per binary: <name> <package> <ldflags>
build() {
  local dir=$1 version=$2 mod=$3
  shift 3
  local tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  while (($#)); do
    local name=$1 pkg=$2 ldflags=$3
    shift 3
    local start=$SECONDS
    log "==> building $name $version into $dir (once per machine, a few minutes)"
    gobuild "$mod" "$tmp/$name" "$pkg" "$ldflags"
    log "    built $name in $((SECONDS - start))s"
  done
  echo "$version" >"$tmp/.complete"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
}

need_build=false
for d in "$k8s_dir" "$etcd_dir" "$helm_dir"; do ready "$d" || need_build=true; done

if $need_build; then
  command -v go >/dev/null || {
    log "ensure.sh: Go is needed once to build the test control plane (Go >= 1.26, https://go.dev/dl/)"
    exit 1
  }
  mkdir -p "$bindir"
  # One build at a time per machine: parallel test runs wait for the first one's binaries.
  if command -v flock >/dev/null; then
    exec 9>"$bindir/.lock"
    if ! flock -n 9; then
      log "==> another ensure.sh is building the control plane; waiting for it"
      flock 9
    fi
  fi
  total_start=$SECONDS

  if ! ready "$k8s_dir"; then
    minor=${k8s_version#v1.}
    minor=${minor%%.*}
    k8s_ldflags=""
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      k8s_ldflags+=" -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$minor"
      k8s_ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    done
    build "$k8s_dir" "$k8s_version" kubernetes \
      kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags" \
      kubectl k8s.io/kubernetes/cmd/kubectl "$k8s_ldflags"
  fi
  if ! ready "$etcd_dir"; then
    build "$etcd_dir" "$etcd_version" etcd \
      etcd go.etcd.io/etcd/server/v3 ""
  fi
  if ! ready "$helm_dir"; then
    build "$helm_dir" "$helm_version" helm \
      helm helm.sh/helm/v4/cmd/helm "-X helm.sh/helm/v4/internal/version.version=$helm_version"
  fi
  log "==> test control plane built in $((SECONDS - total_start))s"
fi

$print_env || log "==> test control plane binaries (kubernetes $k8s_version, etcd $etcd_version, helm $helm_version):"
cat <<EOF
KUBE_APISERVER=$k8s_dir/kube-apiserver
ETCD=$etcd_dir/etcd
KUBECTL=$k8s_dir/kubectl
HELM=$helm_dir/helm
KUBERNETES_VERSION=$k8s_version
ETCD_VERSION=$etcd_version
HELM_VERSION=$helm_version
EOF
