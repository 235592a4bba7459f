# syntax=docker/dockerfile:1
#
# The one image of mcp-residency: the operator (`mcp-residency operator`, run by the chart) and
# the sidecar it injects (`mcp-residency sidecar ...`, the injector sets only the arguments).
#
#   docker build -t ghcr.io/mcp-residency/mcp-residency:$(node -p 'require("./package.json").version') .
#
# Runtime base: distroless Node 24 LTS (gcr.io/distroless/nodejs24-debian12). It holds Node,
# glibc, CA certificates and tzdata and nothing else: no shell, no package manager, no npm, so
# there is less to patch and nothing for someone who gets code running in the sidecar to use.
# The `nonroot` variant's user is 65532, the UID the injector runs the sidecar as and the chart
# runs the operator as. node:24-slim would do, but carries a shell, apt and npm the proxy never
# needs; Alpine's musl would be a second libc to test against. Nothing here is a native addon,
# so the build stages (Debian 12 as well) only compile TypeScript and fetch JavaScript.
# Pin both images by digest in CI: --build-arg BUILD_IMAGE=node:24-bookworm-slim@sha256:...
ARG BUILD_IMAGE=node:24-bookworm-slim
ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

# 0. The capture helper (`mcp-residency capture apply` runs it in the init container): a static
#    Go program that installs the netfilter rules over netlink, because the distroless runtime
#    has no nft or iptables. CGO off: no libc needed; modules pinned by go.sum.
FROM ${GO_IMAGE} AS helper
WORKDIR /src
COPY sidecar/capture/nft ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/mcp-residency-nft .

# 1. Compile TypeScript to dist/ with the dev dependencies (tsc, @types/node). `npm ci` also
#    installs the pinned `node` devDependency here, which is what `make build` compiles with; it
#    never reaches the image: the runtime is the base image's Node 24.
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY policy policy
COPY cli cli
COPY lib lib
COPY demo demo
COPY sidecar sidecar
COPY operator operator
COPY kube kube
COPY scripts/copy-assets.ts scripts/copy-assets.ts
RUN npm run build

# 2. Production dependencies only. No production dependency has an install script, so none runs.
FROM ${BUILD_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. The image's /app: package.json (the version the operator stamps on injected pods), the
#    production node_modules, the compiled dist/ with the capture helper at dist/bin/ (where
#    `make build` puts it in a checkout), examples/ (the demo reads
#    examples/demo-policy.yaml) and crds/. Owned by root, readable by all, writable by none: the
#    runtime user reads the program and cannot change it, whatever the build machine's umask.
FROM ${BUILD_IMAGE} AS app
WORKDIR /app
COPY package.json ./
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=helper /out/mcp-residency-nft ./dist/bin/mcp-residency-nft
COPY examples ./examples
COPY crds ./crds
RUN chown -R 0:0 /app && chmod -R a+rX,go-w /app

# 4. Runtime: no shell, non-root. The entrypoint is the CLI; the chart passes `operator ...` and
#    the injector `sidecar ...` as arguments.
FROM ${RUNTIME_IMAGE}
COPY --from=app /app /app
WORKDIR /app
ENV NODE_ENV=production
# Numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# 15080 MCP gateway, 15081 egress gateway, 15082 transparent egress listener, 15090 sidecar admin;
# 9443 webhook, 9090 operator admin.
EXPOSE 15080 15081 15082 15090 9443 9090
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/main.js"]
