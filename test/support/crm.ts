// The sample CRM scenario shared by the gateway tests: two callers, the policy, and the raw
// personal values that must never reach a client or the audit log.
import { expect } from 'chai';
import { CUSTOMERS } from '../../demo/sample-server.ts';
import type { TestClient } from './oidc.ts';

export const AUDIENCE = 'api://crm-mcp';
export const ALICE: TestClient = { id: 'alice', secret: 'alice-secret', groups: ['privacy-officers'] };
export const BOB: TestClient = { id: 'bob', secret: 'bob-secret', groups: ['sales'] };

export function crmPolicy(issuer: string, extra = ''): string {
  return `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm }
spec:
  authentication:
    issuer: ${issuer}
    audiences: [${AUDIENCE}]
    requiredScopes: [mcp:tools]
  tools:
    default: allow
    rules:
      - { name: "delete_*", action: deny }
      - { name: "export_*", groups: [privacy-officers], action: approve }
      - { name: "export_*", action: deny }
  masking:
    mode: redact
    custom: [ { name: EMPLOYEE_ID, pattern: "EMP-[0-9]{6}" } ]
    fields: [ "$..taxId" ]
  approval:
    approverGroups: [privacy-officers]
${extra}`;
}

/** Every raw personal value of the sample data set: none may reach a client or the audit log. */
export const RAW_VALUES = CUSTOMERS.flatMap((c) => [c.name, c.email, c.phone, c.iban, c.card, c.taxId, c.lastLoginIp, 'EMP-204811']);

export function expectNoRawValues(text: string, where: string): void {
  for (const v of RAW_VALUES) expect(text, `${where} holds ${v}`).to.not.include(v);
}

