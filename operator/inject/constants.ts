// The names users and the sidecar see: annotations, the injected container, ports, paths.
// CONTRACT.md fixes most of them; the rest are fixed here once and documented in the README.
import { PORT_PROOF, PORT_TRANSPARENT as PORT_CAPTURE } from '../../sidecar/capture/rules.ts';

export const ANNOTATION_POLICY = 'mcpresidency.io/policy';
export const ANNOTATION_PORT = 'mcpresidency.io/port';
/** written by the injector; never set it by hand */
export const ANNOTATION_STATUS = 'mcpresidency.io/status';
/** "false": do not point the app containers' HTTP(S)_PROXY at the sidecar */
export const ANNOTATION_EGRESS_PROXY = 'mcpresidency.io/egress-proxy';

/** "false": no traffic capture for this pod (reported as unprotected); "true": capture even if the operator's default is off */
export const ANNOTATION_CAPTURE = 'mcpresidency.io/capture';

export const SIDECAR_CONTAINER = 'mcp-residency-proxy';
/** installs the capture rules (`mcp-residency capture apply`) before the sidecar starts */
export const CAPTURE_INIT_CONTAINER = 'mcp-residency-init';
export const PORT_MCP = 15080;
export const PORT_EGRESS = 15081;
export const PORT_ADMIN = 15090;
/** the transparent egress listener that captured TCP is redirected to */
export const PORT_TRANSPARENT = PORT_CAPTURE;
export const SIDECAR_PORTS: readonly number[] = [PORT_MCP, PORT_EGRESS, PORT_ADMIN, PORT_TRANSPARENT, PORT_PROOF];

/**
 * The sidecar's UID and GID: fixed so a NetworkPolicy or an audit of the node can tell the proxy
 * from the app, and non-root (65532 is the "nonroot" user of distroless-style images).
 */
export const SIDECAR_UID = 65532;

export const AUDIT_DIR = '/var/lib/mcp-residency/audit';
export const SECRETS_DIR = '/var/run/secrets/mcp-residency';
/** where the sidecar's in-cluster client reads its token, so the injector mounts it there */
export { SERVICE_ACCOUNT_DIR } from '../../kube/config.ts';

export const AUDIT_VOLUME = 'mcp-residency-audit';
export const TOKEN_VOLUME = 'mcp-residency-token';
export const SECRET_VOLUME_PREFIX = 'mcp-residency-secret-';

/** Namespaces the injector never touches, whatever the webhook configuration sends it. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

export const EGRESS_PROXY_URL = `http://127.0.0.1:${PORT_EGRESS}`;
/** loopback and in-cluster names stay direct: the proxy is for calls that leave the cluster */
export const NO_PROXY = 'localhost,127.0.0.1,::1,.svc,.cluster.local';
/** a container that sets any of these keeps its own proxy settings */
export const PROXY_ENV_NAMES: readonly string[] = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy', 'NODE_USE_ENV_PROXY'];
