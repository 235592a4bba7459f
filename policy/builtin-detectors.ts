// The built-in detector names a policy may list, and the TYPE each one writes into masking
// tokens ([EMAIL], [CREDIT_CARD_1a2b3c4d]). The masking engine implements them; the policy
// only needs their names.
export const BUILTIN_DETECTORS = ['email', 'phone', 'creditCard', 'iban', 'ssn', 'ipAddress', 'secret', 'address', 'dateOfBirth', 'nationalId', 'passport', 'person', 'vatId'] as const;
export type BuiltinDetector = (typeof BUILTIN_DETECTORS)[number];

export const DETECTOR_TYPES: Readonly<Record<BuiltinDetector, string>> = {
  email: 'EMAIL',
  phone: 'PHONE',
  creditCard: 'CREDIT_CARD',
  iban: 'IBAN',
  ssn: 'SSN',
  ipAddress: 'IP_ADDRESS',
  secret: 'SECRET',
  address: 'ADDRESS',
  dateOfBirth: 'DATE_OF_BIRTH',
  nationalId: 'NATIONAL_ID',
  passport: 'PASSPORT',
  person: 'PERSON',
  vatId: 'VAT_ID',
};

export const BUILTIN_TYPES: ReadonlySet<string> = new Set(Object.values(DETECTOR_TYPES));
