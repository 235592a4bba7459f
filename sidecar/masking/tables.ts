// Reference data the detectors validate against.

/**
 * IBAN length per country code, from the SWIFT IBAN registry (plus the territories that issue
 * IBANs under their own ISO code with their parent's format). A candidate must have exactly
 * this length and pass mod-97.
 */
const IBAN_LENGTH_LIST: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
  // Territories using the French, Finnish and British formats.
  GF: 27, GP: 27, MQ: 27, RE: 27, PF: 27, TF: 27, YT: 27, NC: 27, BL: 27, MF: 27, PM: 27, WF: 27,
  AX: 18, IM: 22, JE: 22, GG: 22,
};

/** IBAN length indexed by the two upper-case letters' codes: (c1 - 65) * 26 + (c2 - 65); 0 when unknown. */
export const IBAN_LENGTH: Uint8Array = (() => {
  const t = new Uint8Array(26 * 26);
  for (const [cc, len] of Object.entries(IBAN_LENGTH_LIST)) t[(cc.charCodeAt(0) - 65) * 26 + (cc.charCodeAt(1) - 65)] = len;
  return t;
})();

/** ITU-T E.164 country calling codes in use (geographic ones; the 8xx non-geographic services are left out). */
const CALLING_CODE_LIST = [
  '1', '7',
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66',
  '81', '82', '84', '86', '90', '91', '92', '93', '94', '95', '98',
  '211', '212', '213', '216', '218', '220', '221', '222', '223', '224', '225', '226', '227', '228', '229',
  '230', '231', '232', '233', '234', '235', '236', '237', '238', '239', '240', '241', '242', '243', '244',
  '245', '246', '247', '248', '249', '250', '251', '252', '253', '254', '255', '256', '257', '258', '260',
  '261', '262', '263', '264', '265', '266', '267', '268', '269', '290', '291', '297', '298', '299',
  '350', '351', '352', '353', '354', '355', '356', '357', '358', '359', '370', '371', '372', '373', '374',
  '375', '376', '377', '378', '379', '380', '381', '382', '383', '385', '386', '387', '389',
  '420', '421', '423',
  '500', '501', '502', '503', '504', '505', '506', '507', '508', '509',
  '590', '591', '592', '593', '594', '595', '596', '597', '598', '599',
  '670', '672', '673', '674', '675', '676', '677', '678', '679', '680', '681', '682', '683', '685', '686',
  '687', '688', '689', '690', '691', '692',
  '850', '852', '853', '855', '856', '880', '886',
  '960', '961', '962', '963', '964', '965', '966', '967', '968', '970', '971', '972', '973', '974', '975',
  '976', '977', '992', '993', '994', '995', '996', '998',
];

/** 1 for a calling code, indexed by its numeric value offset by length: 1-digit at [0,10), 2 at [10,110), 3 at [110,1110). */
const CALLING_CODE = (() => {
  const t = new Uint8Array(1110);
  for (const code of CALLING_CODE_LIST) t[(code.length === 1 ? 0 : code.length === 2 ? 10 : 110) + Number(code)] = 1;
  return t;
})();

/** Length (1-3) of the calling code the digits d0 d1 d2 start with, or 0 when none does. */
export function callingCodeLength(d0: number, d1: number, d2: number): number {
  if (CALLING_CODE[d0] === 1) return 1;
  if (d1 < 0) return 0;
  if (CALLING_CODE[10 + d0 * 10 + d1] === 1) return 2;
  if (d2 < 0) return 0;
  return CALLING_CODE[110 + d0 * 100 + d1 * 10 + d2] === 1 ? 3 : 0;
}
