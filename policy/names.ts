// The API's names and the name patterns Kubernetes uses, without the schema builder: the
// Kubernetes client and the CLI's light commands need these, not the whole schema.
export const API_GROUP = 'mcpresidency.io';
export const API_VERSION = 'v1alpha1';
export const POLICY_KIND = 'MCPResidencyPolicy';
export const APPROVAL_KIND = 'MCPApproval';

// RFC 1123 names, as Kubernetes uses them.
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const SECRET_KEY = '^[-._a-zA-Z0-9]+$';
/** RFC 9110 token: what an HTTP header name may contain. */
export const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
export const CUSTOM_TYPE_NAME = '^[A-Z][A-Z0-9_]*$';
