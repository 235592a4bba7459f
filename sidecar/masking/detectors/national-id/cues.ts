// Cue words that say a number nearby is a personal identifier, in the languages of the
// countries whose formats need one. Matched as whole words in a short window before the number.

const NATIONAL_ID_CUES: readonly string[] = [
  // generic
  'national id', 'national identification', 'national identity', 'national number', 'personal id', 'personal number',
  'personal code', 'personal identity', 'identity number', 'identification number', 'id number', 'id no', 'id-nr',
  'citizen id', 'tax id', 'tax identification', 'taxpayer', 'tin', 'tax number', 'tax no', 'tax code', 'fiscal code',
  'social security', 'ssn', 'insurance number',
  // DE / AT / CH
  'steuer-id', 'steuerid', 'steuer-identifikationsnummer', 'steueridentifikationsnummer', 'identifikationsnummer', 'idnr',
  'steuernummer', 'sozialversicherungsnummer', 'sozialversicherung', 'versicherungsnummer', 'rentenversicherungsnummer',
  'rvnr', 'svnr', 'sv-nummer', 'ahv', 'ahv-nr', 'ahv-nummer', 'avs', 'sozialversicherungs',
  // FR / BE / LU
  'nir', 'numéro de sécurité sociale', 'sécurité sociale', 'securite sociale', 'insee', 'numéro fiscal', 'registre national',
  'numéro national', 'numero national', 'rijksregisternummer', 'rijksregister', 'insz', 'niss',
  // ES / PT / IT
  'dni', 'nie', 'nif', 'documento nacional', 'número de identidad', 'numero de identidad', 'contribuinte', 'número fiscal',
  'numero fiscal', 'codice fiscale', 'cod. fisc', 'cf',
  // NL / PL / CZ / SK / RO / BG / HR / SI / GR
  'bsn', 'burgerservicenummer', 'sofinummer', 'sofi-nummer', 'pesel', 'rodné číslo', 'rodne cislo', 'rodného čísla', 'cnp',
  'cod numeric personal', 'egn', 'егн', 'oib', 'emšo', 'emso', 'amka', 'αμκα',
  // Nordic / Baltic
  'personnummer', 'personnr', 'pers.nr', 'pnr', 'samordningsnummer', 'cpr', 'cpr-nr', 'cpr-nummer', 'hetu', 'henkilötunnus',
  'henkilotunnus', 'sotu', 'personbeteckning', 'fødselsnummer', 'fodselsnummer', 'fødselsnr', 'd-nummer', 'kennitala',
  'isikukood', 'asmens kodas',
  // UK / IE
  'national insurance', 'ni number', 'ni no', 'nino', 'nhs', 'ppsn', 'pps number', 'pps no', 'personal public service',
];

const CUE_RE = new RegExp(`(?:^|[^\\p{L}\\p{N}])(?:${NATIONAL_ID_CUES.map((w) => w.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')).join('|')})(?:$|[^\\p{L}])`, 'u');

/** Whether a national-ID cue word appears in the 48 characters before `i`. */
export function nationalIdCueBefore(s: string, i: number): boolean {
  return CUE_RE.test(s.slice(Math.max(0, i - 48), i).toLowerCase());
}
