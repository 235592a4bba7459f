// The bits that name the built-in detectors a policy enables (MaskCore.enabled) and the hints a
// JSON key gives the scanner about the string it holds. Shared by the scanner, which tests them,
// and the front ends, which set them.

/** Bits of the enabled built-in detectors. */
export const D_EMAIL = 1;
export const D_PHONE = 2;
export const D_CARD = 4;
export const D_IBAN = 8;
export const D_SSN = 16;
export const D_IP = 32;
export const D_SECRET = 64;
// The three bits 128-512 and 1024-4096 hold issue 14's two halves; each detector has its own bit.
export const D_PERSON = 128;
export const D_ADDRESS = 256;
export const D_DOB = 512;
export const D_NATIONAL_ID = 1024;
export const D_PASSPORT = 2048;
export const D_VAT_ID = 4096;
/** NATIONAL_ID by its JSON key only (taxId, steuerId, ...); the scanner never looks for it. */
export const D_NATIONAL_ID_KEY = 8192;

/** Hints from the JSON key that holds the string: it names a phone number, or an SSN. */
export const CTX_PHONE = 1;
export const CTX_SSN = 2;
/** The string is a JSON number's digits, not a string value: fewer identifiers stand alone there (ALONE_NUMBER). */
export const CTX_NUMBER = 4;
