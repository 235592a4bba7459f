// Cue words that say a number nearby is a personal identifier, in the languages of the
// countries whose formats need one. A cue that names one country's identifier ("PESEL", "BSN")
// vouches only for that country's format, so "PESEL 12345678903" is not masked because it
// happens to pass the German checksum; generic cues ("tax id", "personal number") vouch for any.

const CUES: Readonly<Record<string, readonly string[]>> = {
  '*': [
    'national id', 'national identification', 'national identity', 'national number', 'personal id', 'personal number',
    'personal code', 'personal identity', 'identity number', 'identification number', 'id number', 'id no', 'id-nr',
    'citizen id', 'tax id', 'tax identification', 'taxpayer', 'tin', 'tax number', 'tax no', 'tax code', 'fiscal code',
    'insurance number', 'social security number', 'social security no',
  ],
  DE: [
    'steuer-id', 'steuerid', 'steuer-identifikationsnummer', 'steueridentifikationsnummer', 'identifikationsnummer', 'idnr',
    'steuernummer', 'sozialversicherungsnummer', 'versicherungsnummer', 'rentenversicherungsnummer', 'rvnr',
  ],
  AT: ['svnr', 'sv-nummer', 'sozialversicherungsnummer', 'versicherungsnummer'],
  CH: ['ahv', 'ahv-nr', 'ahv-nummer', 'avs', 'numéro avs'],
  FR: ['nir', 'numéro de sécurité sociale', 'sécurité sociale', 'securite sociale', 'insee', 'numéro fiscal'],
  BE: ['registre national', 'numéro national', 'numero national', 'rijksregisternummer', 'rijksregister', 'insz', 'niss'],
  ES: ['dni', 'nie', 'nif', 'documento nacional', 'número de identidad', 'numero de identidad'],
  PT: ['nif', 'contribuinte', 'número fiscal', 'numero fiscal', 'número de contribuinte'],
  IT: ['codice fiscale', 'cod. fisc', 'cf'],
  NL: ['bsn', 'burgerservicenummer', 'sofinummer', 'sofi-nummer'],
  PL: ['pesel'],
  'CZ/SK': ['rodné číslo', 'rodne cislo', 'rodného čísla', 'rč', 'r.č.'],
  RO: ['cnp', 'cod numeric personal'],
  BG: ['egn', 'егн'],
  HR: ['oib'],
  SI: ['emšo', 'emso'],
  GR: ['amka', 'αμκα'],
  SE: ['personnummer', 'personnr', 'pers.nr', 'pnr', 'samordningsnummer'],
  DK: ['cpr', 'cpr-nr', 'cpr-nummer', 'personnummer'],
  NO: ['fødselsnummer', 'fodselsnummer', 'fødselsnr', 'd-nummer', 'personnummer'],
  FI: ['hetu', 'henkilötunnus', 'henkilotunnus', 'sotu', 'personbeteckning'],
  IS: ['kennitala'],
  'EE/LT': ['isikukood', 'asmens kodas'],
  UK: ['national insurance', 'ni number', 'ni no', 'nino', 'nhs', 'nhs number', 'nhs no'],
  IE: ['ppsn', 'pps number', 'pps no', 'personal public service'],
};

/** Countries each cue word vouches for ('*' for any). */
const COUNTRIES_OF = new Map<string, string[]>();
for (const [country, words] of Object.entries(CUES)) {
  for (const w of words) {
    const list = COUNTRIES_OF.get(w);
    if (list === undefined) COUNTRIES_OF.set(w, [country]);
    else list.push(country);
  }
}

const escape = (w: string): string => w.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
// Longest first, so "nhs number" wins over "nhs" and "social security number" over nothing.
const CUE_RE = new RegExp(
  `(?:^|[^\\p{L}\\p{N}])(${[...COUNTRIES_OF.keys()].sort((a, b) => b.length - a.length).map(escape).join('|')})(?=$|[^\\p{L}])`,
  'gu',
);

/**
 * The countries vouched for by the cue word closest before `i` (within 48 characters): a list of
 * country codes, ['*'] for a generic cue, or undefined when there is none.
 */
export function nationalIdCueBefore(s: string, i: number): readonly string[] | undefined {
  const text = s.slice(Math.max(0, i - 48), i).toLowerCase();
  CUE_RE.lastIndex = 0;
  let last: string | undefined;
  let m: RegExpExecArray | null;
  while ((m = CUE_RE.exec(text)) !== null) {
    last = m[1];
    CUE_RE.lastIndex = m.index + 1;
  }
  return last === undefined ? undefined : COUNTRIES_OF.get(last);
}

/** Whether a cue's countries cover the rule named `name` ("PL PESEL", "EE/LT personal code"). */
export function cueCovers(countries: readonly string[], name: string): boolean {
  for (const c of countries) if (c === '*' || name.startsWith(`${c} `)) return true;
  return false;
}
