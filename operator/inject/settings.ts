// What the operator's flags decide about every injected sidecar.
import type { ResourceRequirements } from '../../kube/core.ts';

export interface SidecarSettings {
  readonly image: string;
  readonly imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  readonly resources: ResourceRequirements;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** the audit emptyDir's sizeLimit */
  readonly auditSizeLimit: string;
  /** the operator's version, recorded in the status annotation */
  readonly version: string;
}

export interface CaptureSettings {
  /** capture pods' traffic unless they opt out (mcpresidency.io/capture: "false") */
  readonly enabled: boolean;
  /** address ranges inside the boundary: traffic to them passes the capture without a decision */
  readonly insideRanges: readonly string[];
}

export const DEFAULT_CAPTURE: CaptureSettings = { enabled: true, insideRanges: [] };

export interface InjectionSettings {
  readonly sidecar: SidecarSettings;
  /** omitted: DEFAULT_CAPTURE */
  readonly capture?: CaptureSettings;
  /** never inject here: kube-system and friends, the operator's own namespace, any the user adds */
  readonly excludedNamespaces: ReadonlySet<string>;
}
