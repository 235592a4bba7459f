// The small TypeBox builders every schema of this API uses: the structural subset Kubernetes
// accepts (no anyOf/oneOf, enums as type string + enum, every string and array bounded).
import Type from 'typebox';
import { DNS_SUBDOMAIN, SECRET_KEY } from './names.ts';

/** A string restricted to a fixed set of values, as the structural schema wants it. */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const strictObject = { additionalProperties: false } as const;


export const secretKeyRef = (description: string) =>
  Type.Object(
    {
      name: Type.String({ description: 'Name of a Secret in the policy\'s namespace.', pattern: DNS_SUBDOMAIN, minLength: 1, maxLength: 253 }),
      key: Type.String({ description: 'Key inside the Secret.', pattern: SECRET_KEY, minLength: 1, maxLength: 253 }),
    },
    { ...strictObject, description },
  );

export const Url = (description: string) => Type.String({ description, minLength: 1, maxLength: 2048 });
export const ShortString = (description: string, maxLength = 256) => Type.String({ description, minLength: 1, maxLength });
export const StringList = (description: string, maxItems: number, itemMax = 256, minItems = 0) =>
  Type.Array(Type.String({ minLength: 1, maxLength: itemMax }), { description, maxItems, ...(minItems > 0 ? { minItems } : {}) });
