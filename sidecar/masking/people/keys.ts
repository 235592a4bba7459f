// Record keys that name personal data, in the languages of the EU/EEA's larger markets and
// their usual case styles (firstName, first_name, FIRST-NAME, FirstName, "first name"): the
// key is folded to lower-case letters without separators or diacritics first, so "Prénom",
// "prenom" and "PRENOM" are one key, and "fødselsdato" is "fodselsdato".
//
// PERSON comes in two strengths. A key that can only hold a person's name (firstName,
// nachname, cognome) masks any name-shaped value. A key that is often a person's name but as
// often a plan's, a file's or a resource's ("name", "owner", "displayName") masks a value only
// when the lexicon knows it for a name (see values.ts).

import { detached } from '../chars.ts';

/** Key bits: the value names a person (any name-shaped value), may name one, is an address, a birth date, a national ID. */
export const KEY_PERSON = 8;
export const KEY_NAME = 128;
export const KEY_ADDRESS = 16;
export const KEY_DOB = 32;
export const KEY_NATIONAL_ID = 64;
/** Italy's "CAP" is its postcode, and in English a limit: only a five-digit value is an address. */
export const KEY_CAP = 256;
/** A generic name key in a record that has a definite one (set by the walkers, never by a key alone). */
export const KEY_NAME_IN_PERSON_RECORD = 512;

const set = (words: string): ReadonlySet<string> => new Set(words.split(/\s+/u).filter((w) => w !== ''));

const PERSON_KEYS = set(`
  firstname lastname fullname givenname givennames familyname surname surnames middlename maidenname birthname forename forenames
  legalname contactname contactperson customername clientname patientname employeename personname holdername accountholder
  accountholdername cardholder cardholdername ownername sendername recipientname beneficiaryname authorname signedby signatory
  vorname vornamen nachname familienname vollername geburtsname ansprechpartner kontaktperson kundenname patientenname mitarbeitername
  prenom prenoms nomdefamille nomcomplet nomdenaissance nomprenom nometprenom prenometnom nomdusage
  apellido apellidos primerapellido segundoapellido nombrecompleto nombreyapellidos
  cognome nomecompleto nomeecognome sobrenome apelido
  voornaam voornamen achternaam volledigenaam geboortenaam
  imie imiona nazwisko imieinazwisko
  fornavn efternavn etternavn mellemnavn mellomnavn fuldenavn fulltnavn fornamn efternamn fullstandigtnamn tilltalsnamn
  etunimi etunimet sukunimi kokonimi
`);

const NAME_KEYS = set(`
  name names nom nombre nome naam navn namn nimi displayname contact owner author assignee customer client employee person patient
  holder kontakt kunde signer recipient sender createdby updatedby modifiedby requestedby approvedby reportedby reviewer manager
  accountname membername
`);

// <prefix>name with a prefix that names a person: customerName, patient_name, contact-name.
const PERSON_PREFIXES = set(`
  contact customer client patient employee person holder owner sender recipient beneficiary author legal card signer member guest
  passenger applicant student teacher doctor traveller traveler buyer seller tenant insured driver
`);

const ADDRESS_KEYS = set(`
  address streetaddress street streetname streetline addressline addressline1 addressline2 addressline3 postcode postalcode zip
  zipcode housenumber housenr streetnumber homeaddress billingaddress shippingaddress mailingaddress postaladdress deliveryaddress
  residentialaddress physicaladdress
  adresse anschrift strasse hausnummer plz postleitzahl wohnadresse postanschrift rechnungsadresse lieferadresse wohnanschrift
  rue codepostal adressepostale numerorue
  direccion calle codigopostal domicilio
  indirizzo civico codiceavviamentopostale
  adres straat straatnaam huisnummer
  ulica kodpocztowy numerdomu
  gade gadenavn vej gatuadress gatuadresse postnummer postnr postadresse husnummer gateadresse
  osoite katuosoite postinumero lahiosoite
`);

// <prefix>address that is postal; every other *address (ip, mac, email, wallet, bind) is not.
const ADDRESS_PREFIXES = set('home billing shipping mailing postal delivery residential street physical customer invoice correspondence private business work');

const DOB_KEYS = set(`
  dob dateofbirth birthdate birthday birthdt dtofbirth birthyear yearofbirth
  geburtsdatum geburtstag gebdatum geburtsjahr
  datenaissance datedenaissance
  fechadenacimiento fechanacimiento fechanac
  datadinascita datanascita datanascimento
  geboortedatum
  dataurodzenia
  fodselsdato fodselsdag fodelsedatum fodelsedag
  syntymaaika syntymapaiva
`);

const NATIONAL_ID_KEYS = set(`
  taxid taxidentifier taxnumber taxno tin taxpayerid taxidnumber nationalid nationalidnumber nationalidentifier nationalidentitynumber
  personalid personalidnumber personalidentitycode personalidentificationnumber idnumber identitynumber identificationnumber
  nin nino nationalinsurancenumber nationalinsuranceno nhsnumber nhsno
  steuerid steueridentifikationsnummer steuernummer idnr sozialversicherungsnummer svnr versicherungsnummer
  pesel nif nie dni nir numerosecu numerodesecuritesociale insee codicefiscale bsn burgerservicenummer sofinummer rijksregisternummer
  cpr cprnummer cprnr hetu henkilotunnus fodselsnummer personnummer personnr rodnecislo cnp egn ahv ahvnummer avs ppsn ppsnumber
  isikukood asmenskodas
`);

const FOLD: Readonly<Record<string, string>> = { ß: 'ss', ø: 'o', æ: 'ae', đ: 'd', ł: 'l', þ: 'th', ð: 'd' };

/** "First_Name" -> "firstname", "Fødselsdato" -> "fodselsdato". */
export function foldKey(key: string): string {
  return key
    .toLowerCase()
    .replace(/[ßøæđłþð]/gu, (c) => FOLD[c]!)
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/gu, '')
    .replace(/[\s_.\-:]+/gu, '');
}

/** KEY_* bits of a JSON key. */
export function peopleKeyBits(key: string): number {
  const k = foldKey(key);
  if (k.length < 2 || k.length > 48) return 0;
  if (PERSON_KEYS.has(k)) return KEY_PERSON;
  if (NAME_KEYS.has(k)) return KEY_NAME;
  if (ADDRESS_KEYS.has(k)) return KEY_ADDRESS;
  if (DOB_KEYS.has(k)) return KEY_DOB;
  if (NATIONAL_ID_KEYS.has(k)) return KEY_NATIONAL_ID;
  if (k === 'cap') return KEY_CAP;
  for (const end of ['firstname', 'lastname', 'fullname', 'surname', 'givenname', 'familyname', 'middlename']) if (k.endsWith(end)) return KEY_PERSON;
  if (k.endsWith('name') && PERSON_PREFIXES.has(k.slice(0, -4))) return KEY_PERSON;
  if (k.endsWith('address') && ADDRESS_PREFIXES.has(k.slice(0, -7))) return KEY_ADDRESS;
  for (const end of ['postcode', 'postalcode', 'zipcode', 'streetaddress']) if (k.endsWith(end)) return KEY_ADDRESS;
  for (const end of ['dateofbirth', 'birthdate', 'geburtsdatum']) if (k.endsWith(end)) return KEY_DOB;
  for (const end of ['taxid', 'nationalid', 'taxnumber']) if (k.endsWith(end)) return KEY_NATIONAL_ID;
  return 0;
}

// A definite person key as it stands in JSON text: "lastName":, "cognome" :, ...
const QUOTED_KEY = /"([^"\\]{2,48})"\s*:/gu;

// A person's contact details: a record that has them is about a person.
const CONTACT_KEY = /^(?:e?mail|emailaddress|email\d?|phone|phonenumber|mobile|telephone|telefon|telefono|telefoon|puhelin|tel|cell)$/u;

/**
 * Whether a record is about a person: it holds a key that can only name one ("cognome",
 * "lastName"), or a person's address, birth date, national ID, e-mail or phone. Then its generic
 * "name" ("nome" next to "cognome", "name" next to "email") is that person's name too.
 */
export function hasPersonKey(keys: Iterable<string>): boolean {
  for (const k of keys) if (isPersonRecordKey(k)) return true;
  return false;
}

// isPersonRecordKey by key: every record of a list has the same keys, and folding one costs
// more than the rest of the test. Keys are cached as copies (detached), never as views into the
// payload they came from.
const recordKeyCache = new Map<string, boolean>();

/** Whether a record holding key k is about a person (see hasPersonKey). */
function isPersonRecordKey(k: string): boolean {
  const cached = recordKeyCache.get(k);
  if (cached !== undefined) return cached;
  const bits = peopleKeyBits(k);
  const yes = bits === KEY_PERSON || bits === KEY_ADDRESS || bits === KEY_DOB || bits === KEY_NATIONAL_ID || CONTACT_KEY.test(foldKey(k));
  if (recordKeyCache.size >= 4096) recordKeyCache.clear();
  recordKeyCache.set(detached(k), yes);
  return yes;
}

/**
 * hasPersonKey for JSON text: the keys between the '{' before `at` and the '}' after it (at
 * most `radius` characters away), the flat part of the record the value is in.
 */
export function personKeyNear(text: string, at: number, radius: number): boolean {
  const open = text.lastIndexOf('{', at);
  if (open < 0 || at - open > radius) return false;
  let close = text.indexOf('}', at);
  if (close < 0 || close - at > radius) close = Math.min(text.length, at + radius);
  // hasPersonKey over the keys in order, stopping at the first that decides it.
  const record = text.slice(open, close);
  QUOTED_KEY.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = QUOTED_KEY.exec(record)) !== null) if (isPersonRecordKey(m[1]!)) return true;
  return false;
}
