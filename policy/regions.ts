// The region catalog: every cloud region and LLM-provider processing location that
// `egress.allowedRegions` and `upstreams[].region` may name, and the geographies (sets of
// countries) a policy may use instead of listing regions one by one. Pure data and pure
// functions, no I/O.
//
// Sources (all checked 2026-11-20):
//   Azure   names, display names and locations: `az account list-locations` output and the
//           "Azure regions list" page, https://learn.microsoft.com/azure/reliability/regions-list
//           (access-restricted regions such as germanynorth or taiwannorthwest are included:
//           they are real places data can go). The canary regions centraluseuap/eastus2euap
//           are in the United States. Azure Government regions: https://learn.microsoft.com/azure/azure-government/documentation-government-get-started-connect-with-cli
//           Azure operated by 21Vianet (China): https://docs.azure.cn/en-us/reliability/regions-list
//           Not included: logical locations (`europe`, `unitedstates`, `global` ...), staging
//           (`*stg`) and `brazilus` (its physical location is not documented).
//   AWS     region codes and names: https://docs.aws.amazon.com/general/latest/gr/rande.html and
//           the SDKs' partitions.json (boto/botocore `botocore/data/partitions.json`), including
//           GovCloud (aws-us-gov), China (aws-cn) and the European Sovereign Cloud
//           (aws-eusc, eusc-de-east-1, Brandenburg, Germany).
//   GCP     region names and locations: https://cloud.google.com/about/locations and
//           https://docs.cloud.google.com/docs/geography-and-regions (42 regions). Vertex AI
//           multi-region locations `us` and `eu`: https://docs.cloud.google.com/vertex-ai/generative-ai/docs/learn/data-residency
//   OpenAI  https://developers.openai.com/api/docs/guides/data-residency (regional domains
//           us./eu./jp./in./au.api.openai.com; ae.api.openai.com from the official SDK,
//           https://github.com/openai/openai-node src/internal/data-residency.ts). The default
//           `api.openai.com` is the *global* endpoint: no processing location is promised.
//   Anthropic https://platform.claude.com/docs/en/build-with-claude/data-residency
//           (`inference_geo`: "global" is the default, "us" keeps inference in the US).
//   Mistral https://docs.mistral.ai/studio-api/regional-inference (api.eu.mistral.ai: "multiple
//           data centers in EU/EFTA countries"; api.us.mistral.ai: United States; requests
//           without a region use the global endpoint api.mistral.ai).
//   Google Gemini Developer API: https://firebase.google.com/docs/ai-logic/locations ("global
//           access to models ... handled by an available model anywhere in the global pool").
//   Countries: ISO 3166-1 alpha-2. EU members: https://european-union.europa.eu/principles-countries-history/eu-countries_en
//           EEA: https://www.efta.int/eea/eea-agreement ; EFTA: https://www.efta.int/about-efta/the-efta-states
//
// Modelling rules:
//   - A cloud region has a country; its geographies are every geography whose country set
//     contains that country.
//   - A provider "pseudo-region" (e.g. `openai-eu`) has a country when the provider names one,
//     otherwise only an area (a set of countries the data may be processed in); it then belongs
//     to the geographies that contain the *whole* area (EU/EFTA is in `europe` but not in `eu`).
//   - A `*-global` pseudo-region may be processed anywhere: it belongs to no geography, so only
//     naming it explicitly in `allowedRegions` admits it.

import { editDistance } from './suggest.ts';

export type Provider = 'azure' | 'aws' | 'gcp' | 'openai' | 'anthropic' | 'mistral' | 'google';

export interface Region {
  readonly name: string;
  readonly provider: Provider;
  readonly displayName: string;
  readonly country: string | undefined;
  readonly geographies: readonly string[];
}

export interface Geography {
  readonly name: string;
  readonly description: string;
  readonly countries: readonly string[];
}

const PROVIDER_LABEL: Readonly<Record<Provider, string>> = {
  azure: 'Azure',
  aws: 'AWS',
  gcp: 'GCP',
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  mistral: 'Mistral',
  google: 'Google',
};

/** ISO 3166-1 alpha-2 codes used by the catalog and its geographies, with English short names. */
export const COUNTRY_NAMES: ReadonlyMap<string, string> = new Map([
  ['AD', 'Andorra'], ['AE', 'United Arab Emirates'], ['AL', 'Albania'], ['AR', 'Argentina'],
  ['AT', 'Austria'], ['AU', 'Australia'], ['BA', 'Bosnia and Herzegovina'], ['BD', 'Bangladesh'],
  ['BE', 'Belgium'], ['BG', 'Bulgaria'], ['BH', 'Bahrain'], ['BN', 'Brunei'], ['BO', 'Bolivia'],
  ['BR', 'Brazil'], ['BW', 'Botswana'], ['BY', 'Belarus'], ['CA', 'Canada'], ['CH', 'Switzerland'],
  ['CI', "Côte d'Ivoire"], ['CL', 'Chile'], ['CN', 'China'], ['CO', 'Colombia'], ['CR', 'Costa Rica'],
  ['CY', 'Cyprus'], ['CZ', 'Czechia'], ['DE', 'Germany'], ['DK', 'Denmark'], ['DO', 'Dominican Republic'],
  ['DZ', 'Algeria'], ['EC', 'Ecuador'], ['EE', 'Estonia'], ['EG', 'Egypt'], ['ES', 'Spain'],
  ['ET', 'Ethiopia'], ['FI', 'Finland'], ['FJ', 'Fiji'], ['FO', 'Faroe Islands'], ['FR', 'France'],
  ['GB', 'United Kingdom'], ['GG', 'Guernsey'], ['GH', 'Ghana'], ['GI', 'Gibraltar'], ['GR', 'Greece'],
  ['GT', 'Guatemala'], ['HK', 'Hong Kong'], ['HN', 'Honduras'], ['HR', 'Croatia'], ['HU', 'Hungary'],
  ['ID', 'Indonesia'], ['IE', 'Ireland'], ['IL', 'Israel'], ['IM', 'Isle of Man'], ['IN', 'India'],
  ['IQ', 'Iraq'], ['IS', 'Iceland'], ['IT', 'Italy'], ['JE', 'Jersey'], ['JO', 'Jordan'], ['JP', 'Japan'],
  ['KE', 'Kenya'], ['KH', 'Cambodia'], ['KR', 'South Korea'], ['KW', 'Kuwait'], ['LA', 'Laos'],
  ['LB', 'Lebanon'], ['LI', 'Liechtenstein'], ['LK', 'Sri Lanka'], ['LT', 'Lithuania'], ['LU', 'Luxembourg'],
  ['LV', 'Latvia'], ['MA', 'Morocco'], ['MC', 'Monaco'], ['MD', 'Moldova'], ['ME', 'Montenegro'],
  ['MK', 'North Macedonia'], ['MM', 'Myanmar'], ['MN', 'Mongolia'], ['MO', 'Macao'], ['MT', 'Malta'],
  ['MU', 'Mauritius'], ['MX', 'Mexico'], ['MY', 'Malaysia'], ['NA', 'Namibia'], ['NG', 'Nigeria'],
  ['NI', 'Nicaragua'], ['NL', 'Netherlands'], ['NO', 'Norway'], ['NP', 'Nepal'], ['NZ', 'New Zealand'],
  ['OM', 'Oman'], ['PA', 'Panama'], ['PE', 'Peru'], ['PG', 'Papua New Guinea'], ['PH', 'Philippines'],
  ['PK', 'Pakistan'], ['PL', 'Poland'], ['PR', 'Puerto Rico'], ['PT', 'Portugal'], ['PY', 'Paraguay'],
  ['QA', 'Qatar'], ['RO', 'Romania'], ['RS', 'Serbia'], ['RW', 'Rwanda'], ['SA', 'Saudi Arabia'],
  ['SE', 'Sweden'], ['SG', 'Singapore'], ['SI', 'Slovenia'], ['SK', 'Slovakia'], ['SM', 'San Marino'],
  ['SN', 'Senegal'], ['SV', 'El Salvador'], ['TH', 'Thailand'], ['TN', 'Tunisia'], ['TW', 'Taiwan'],
  ['TZ', 'Tanzania'], ['UA', 'Ukraine'], ['UG', 'Uganda'], ['US', 'United States'], ['UY', 'Uruguay'],
  ['VA', 'Vatican City'], ['VE', 'Venezuela'], ['VN', 'Vietnam'], ['ZA', 'South Africa'], ['ZM', 'Zambia'],
]);

// ---------------------------------------------------------------------------------------------
// Geographies
// ---------------------------------------------------------------------------------------------

const EU = ['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE',
  'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE'];
const EFTA = ['IS', 'LI', 'NO', 'CH'];
const EEA = [...EU, 'IS', 'LI', 'NO'];
// Geographic Europe: the EEA, Switzerland, the UK and the other European states and Crown
// dependencies. Russia and Turkey (transcontinental) are not included.
const EUROPE = [...EEA, 'CH', 'GB', 'AD', 'AL', 'BA', 'BY', 'FO', 'GG', 'GI', 'IM', 'JE', 'MC',
  'MD', 'ME', 'MK', 'RS', 'SM', 'UA', 'VA'];
const NORTH_AMERICA = ['US', 'CA', 'MX'];
const LATAM = ['MX', 'AR', 'BO', 'BR', 'CL', 'CO', 'CR', 'DO', 'EC', 'GT', 'HN', 'NI', 'PA', 'PE',
  'PR', 'PY', 'SV', 'UY', 'VE'];
const AMERICAS = [...new Set([...NORTH_AMERICA, ...LATAM])];
const OCEANIA = ['AU', 'NZ', 'FJ', 'PG'];
const APAC = [...OCEANIA, 'BD', 'BN', 'CN', 'HK', 'ID', 'IN', 'JP', 'KH', 'KR', 'LA', 'LK', 'MM',
  'MN', 'MO', 'MY', 'NP', 'PH', 'PK', 'SG', 'TH', 'TW', 'VN'];
const MIDDLE_EAST = ['AE', 'BH', 'IL', 'IQ', 'JO', 'KW', 'LB', 'OM', 'QA', 'SA'];
const AFRICA = ['ZA', 'BW', 'CI', 'DZ', 'EG', 'ET', 'GH', 'KE', 'MA', 'MU', 'NA', 'NG', 'RW', 'SN',
  'TN', 'TZ', 'UG', 'ZM'];
const EMEA = [...new Set([...EUROPE, ...MIDDLE_EAST, ...AFRICA])];

const MULTI_COUNTRY_GEOGRAPHIES: readonly Geography[] = [
  { name: 'eu', description: 'European Union (27 member states)', countries: EU },
  { name: 'eea', description: 'European Economic Area (EU + Iceland, Liechtenstein, Norway)', countries: EEA },
  { name: 'efta', description: 'EFTA states (Iceland, Liechtenstein, Norway, Switzerland)', countries: EFTA },
  { name: 'europe', description: 'Geographic Europe (EEA, Switzerland, UK and other European states)', countries: EUROPE },
  { name: 'north-america', description: 'North America (United States, Canada, Mexico)', countries: NORTH_AMERICA },
  { name: 'latam', description: 'Latin America (incl. Mexico)', countries: LATAM },
  { name: 'americas', description: 'North and Latin America', countries: AMERICAS },
  { name: 'apac', description: 'Asia-Pacific (incl. India and Oceania, excl. the Middle East)', countries: APAC },
  { name: 'oceania', description: 'Oceania (Australia, New Zealand, Fiji, Papua New Guinea)', countries: OCEANIA },
  { name: 'middle-east', description: 'Middle East', countries: MIDDLE_EAST },
  { name: 'africa', description: 'Africa', countries: AFRICA },
  { name: 'emea', description: 'Europe, the Middle East and Africa', countries: EMEA },
];

// One single-country geography per country that hosts at least one region, named by its
// lowercase ISO code, except the United Kingdom which is `uk` (with `gb` as an alias).
const COUNTRY_GEOGRAPHY_NAMES: ReadonlyMap<string, readonly string[]> = new Map([['GB', ['uk', 'gb']]]);

// ---------------------------------------------------------------------------------------------
// Regions: [name, displayName, country]
// ---------------------------------------------------------------------------------------------

type Row = readonly [name: string, displayName: string, country: string];

const AZURE: readonly Row[] = [
  // United States
  ['eastus', 'East US', 'US'], ['eastus2', 'East US 2', 'US'], ['centralus', 'Central US', 'US'],
  ['northcentralus', 'North Central US', 'US'], ['southcentralus', 'South Central US', 'US'],
  ['westcentralus', 'West Central US', 'US'], ['westus', 'West US', 'US'], ['westus2', 'West US 2', 'US'],
  ['westus3', 'West US 3', 'US'], ['centraluseuap', 'Central US EUAP', 'US'], ['eastus2euap', 'East US 2 EUAP', 'US'],
  // Azure Government (United States)
  ['usgovvirginia', 'USGov Virginia', 'US'], ['usgovarizona', 'USGov Arizona', 'US'], ['usgovtexas', 'USGov Texas', 'US'],
  ['usdodeast', 'USDoD East', 'US'], ['usdodcentral', 'USDoD Central', 'US'],
  // Canada and Latin America
  ['canadacentral', 'Canada Central', 'CA'], ['canadaeast', 'Canada East', 'CA'],
  ['brazilsouth', 'Brazil South', 'BR'], ['brazilsoutheast', 'Brazil Southeast', 'BR'],
  ['mexicocentral', 'Mexico Central', 'MX'], ['chilecentral', 'Chile Central', 'CL'],
  // Europe
  ['northeurope', 'North Europe', 'IE'], ['westeurope', 'West Europe', 'NL'],
  ['uksouth', 'UK South', 'GB'], ['ukwest', 'UK West', 'GB'],
  ['francecentral', 'France Central', 'FR'], ['francesouth', 'France South', 'FR'],
  ['germanywestcentral', 'Germany West Central', 'DE'], ['germanynorth', 'Germany North', 'DE'],
  ['swedencentral', 'Sweden Central', 'SE'], ['swedensouth', 'Sweden South', 'SE'],
  ['norwayeast', 'Norway East', 'NO'], ['norwaywest', 'Norway West', 'NO'],
  ['switzerlandnorth', 'Switzerland North', 'CH'], ['switzerlandwest', 'Switzerland West', 'CH'],
  ['polandcentral', 'Poland Central', 'PL'], ['italynorth', 'Italy North', 'IT'],
  ['spaincentral', 'Spain Central', 'ES'], ['austriaeast', 'Austria East', 'AT'],
  ['belgiumcentral', 'Belgium Central', 'BE'], ['denmarkeast', 'Denmark East', 'DK'],
  // Asia-Pacific
  ['eastasia', 'East Asia', 'HK'], ['southeastasia', 'Southeast Asia', 'SG'],
  ['japaneast', 'Japan East', 'JP'], ['japanwest', 'Japan West', 'JP'],
  ['koreacentral', 'Korea Central', 'KR'], ['koreasouth', 'Korea South', 'KR'],
  ['centralindia', 'Central India', 'IN'], ['southindia', 'South India', 'IN'], ['westindia', 'West India', 'IN'],
  ['jioindiacentral', 'Jio India Central', 'IN'], ['jioindiawest', 'Jio India West', 'IN'],
  ['indonesiacentral', 'Indonesia Central', 'ID'], ['malaysiawest', 'Malaysia West', 'MY'],
  ['malaysiasouth', 'Malaysia South', 'MY'], ['taiwannorth', 'Taiwan North', 'TW'],
  ['taiwannorthwest', 'Taiwan Northwest', 'TW'], ['newzealandnorth', 'New Zealand North', 'NZ'],
  ['australiaeast', 'Australia East', 'AU'], ['australiasoutheast', 'Australia Southeast', 'AU'],
  ['australiacentral', 'Australia Central', 'AU'], ['australiacentral2', 'Australia Central 2', 'AU'],
  // Middle East and Africa
  ['uaenorth', 'UAE North', 'AE'], ['uaecentral', 'UAE Central', 'AE'], ['qatarcentral', 'Qatar Central', 'QA'],
  ['israelcentral', 'Israel Central', 'IL'], ['israelnorthwest', 'Israel Northwest', 'IL'],
  ['southafricanorth', 'South Africa North', 'ZA'], ['southafricawest', 'South Africa West', 'ZA'],
  // Azure operated by 21Vianet (China)
  ['chinaeast', 'China East', 'CN'], ['chinaeast2', 'China East 2', 'CN'], ['chinaeast3', 'China East 3', 'CN'],
  ['chinanorth', 'China North', 'CN'], ['chinanorth2', 'China North 2', 'CN'], ['chinanorth3', 'China North 3', 'CN'],
];

const AWS: readonly Row[] = [
  ['us-east-1', 'US East (N. Virginia)', 'US'], ['us-east-2', 'US East (Ohio)', 'US'],
  ['us-west-1', 'US West (N. California)', 'US'], ['us-west-2', 'US West (Oregon)', 'US'],
  ['us-gov-east-1', 'AWS GovCloud (US-East)', 'US'], ['us-gov-west-1', 'AWS GovCloud (US-West)', 'US'],
  ['ca-central-1', 'Canada (Central)', 'CA'], ['ca-west-1', 'Canada West (Calgary)', 'CA'],
  ['mx-central-1', 'Mexico (Central)', 'MX'], ['sa-east-1', 'South America (São Paulo)', 'BR'],
  ['eu-central-1', 'Europe (Frankfurt)', 'DE'], ['eu-central-2', 'Europe (Zurich)', 'CH'],
  ['eu-west-1', 'Europe (Ireland)', 'IE'], ['eu-west-2', 'Europe (London)', 'GB'],
  ['eu-west-3', 'Europe (Paris)', 'FR'], ['eu-south-1', 'Europe (Milan)', 'IT'],
  ['eu-south-2', 'Europe (Spain)', 'ES'], ['eu-north-1', 'Europe (Stockholm)', 'SE'],
  ['eusc-de-east-1', 'AWS European Sovereign Cloud (Brandenburg)', 'DE'],
  ['il-central-1', 'Israel (Tel Aviv)', 'IL'], ['me-central-1', 'Middle East (UAE)', 'AE'],
  ['me-south-1', 'Middle East (Bahrain)', 'BH'], ['af-south-1', 'Africa (Cape Town)', 'ZA'],
  ['ap-east-1', 'Asia Pacific (Hong Kong)', 'HK'], ['ap-east-2', 'Asia Pacific (Taipei)', 'TW'],
  ['ap-northeast-1', 'Asia Pacific (Tokyo)', 'JP'], ['ap-northeast-2', 'Asia Pacific (Seoul)', 'KR'],
  ['ap-northeast-3', 'Asia Pacific (Osaka)', 'JP'], ['ap-south-1', 'Asia Pacific (Mumbai)', 'IN'],
  ['ap-south-2', 'Asia Pacific (Hyderabad)', 'IN'], ['ap-southeast-1', 'Asia Pacific (Singapore)', 'SG'],
  ['ap-southeast-2', 'Asia Pacific (Sydney)', 'AU'], ['ap-southeast-3', 'Asia Pacific (Jakarta)', 'ID'],
  ['ap-southeast-4', 'Asia Pacific (Melbourne)', 'AU'], ['ap-southeast-5', 'Asia Pacific (Malaysia)', 'MY'],
  ['ap-southeast-6', 'Asia Pacific (New Zealand)', 'NZ'], ['ap-southeast-7', 'Asia Pacific (Thailand)', 'TH'],
  ['cn-north-1', 'China (Beijing)', 'CN'], ['cn-northwest-1', 'China (Ningxia)', 'CN'],
];

const GCP: readonly Row[] = [
  ['us-central1', 'Council Bluffs, Iowa', 'US'], ['us-east1', 'Moncks Corner, South Carolina', 'US'],
  ['us-east4', 'Ashburn, Virginia', 'US'], ['us-east5', 'Columbus, Ohio', 'US'],
  ['us-south1', 'Dallas, Texas', 'US'], ['us-west1', 'The Dalles, Oregon', 'US'],
  ['us-west2', 'Los Angeles, California', 'US'], ['us-west3', 'Salt Lake City, Utah', 'US'],
  ['us-west4', 'Las Vegas, Nevada', 'US'],
  ['northamerica-northeast1', 'Montréal, Québec', 'CA'], ['northamerica-northeast2', 'Toronto, Ontario', 'CA'],
  ['northamerica-south1', 'Querétaro, Mexico', 'MX'],
  ['southamerica-east1', 'Osasco, São Paulo, Brazil', 'BR'], ['southamerica-west1', 'Santiago, Chile', 'CL'],
  ['europe-central2', 'Warsaw, Poland', 'PL'], ['europe-north1', 'Hamina, Finland', 'FI'],
  ['europe-north2', 'Stockholm, Sweden', 'SE'], ['europe-southwest1', 'Madrid, Spain', 'ES'],
  ['europe-west1', 'St. Ghislain, Belgium', 'BE'], ['europe-west2', 'London, England', 'GB'],
  ['europe-west3', 'Frankfurt, Germany', 'DE'], ['europe-west4', 'Eemshaven, Netherlands', 'NL'],
  ['europe-west6', 'Zurich, Switzerland', 'CH'], ['europe-west8', 'Milan, Italy', 'IT'],
  ['europe-west9', 'Paris, France', 'FR'], ['europe-west10', 'Berlin, Germany', 'DE'],
  ['europe-west12', 'Turin, Italy', 'IT'],
  ['me-central1', 'Doha, Qatar', 'QA'], ['me-central2', 'Dammam, Saudi Arabia', 'SA'],
  ['me-west1', 'Tel Aviv, Israel', 'IL'], ['africa-south1', 'Johannesburg, South Africa', 'ZA'],
  ['asia-east1', 'Changhua County, Taiwan', 'TW'], ['asia-east2', 'Hong Kong', 'HK'],
  ['asia-northeast1', 'Tokyo, Japan', 'JP'], ['asia-northeast2', 'Osaka, Japan', 'JP'],
  ['asia-northeast3', 'Seoul, South Korea', 'KR'], ['asia-south1', 'Mumbai, India', 'IN'],
  ['asia-south2', 'Delhi, India', 'IN'], ['asia-southeast1', 'Jurong West, Singapore', 'SG'],
  ['asia-southeast2', 'Jakarta, Indonesia', 'ID'], ['australia-southeast1', 'Sydney, Australia', 'AU'],
  ['australia-southeast2', 'Melbourne, Australia', 'AU'],
];

/** Where a pseudo-region's data may be processed: one country, a set of countries, or anywhere. */
type Area =
  | { readonly kind: 'country'; readonly country: string }
  | { readonly kind: 'countries'; readonly label: string; readonly countries: readonly string[] }
  | { readonly kind: 'global' };

interface PseudoRow {
  readonly name: string;
  readonly provider: Provider;
  readonly displayName: string;
  readonly area: Area;
}

const GLOBAL: Area = { kind: 'global' };
const inCountry = (country: string): Area => ({ kind: 'country', country });
const EU_AREA: Area = { kind: 'countries', label: 'EU', countries: EU };
const EU_EFTA_AREA: Area = { kind: 'countries', label: 'EU/EFTA', countries: [...EU, ...EFTA] };

const PSEUDO: readonly PseudoRow[] = [
  { name: 'openai-global', provider: 'openai', displayName: 'OpenAI global endpoint (no processing location promised)', area: GLOBAL },
  { name: 'openai-us', provider: 'openai', displayName: 'OpenAI US data residency', area: inCountry('US') },
  { name: 'openai-eu', provider: 'openai', displayName: 'OpenAI Europe data residency', area: EU_AREA },
  { name: 'openai-jp', provider: 'openai', displayName: 'OpenAI Japan data residency', area: inCountry('JP') },
  { name: 'openai-in', provider: 'openai', displayName: 'OpenAI India data residency', area: inCountry('IN') },
  { name: 'openai-au', provider: 'openai', displayName: 'OpenAI Australia data residency', area: inCountry('AU') },
  { name: 'openai-ae', provider: 'openai', displayName: 'OpenAI UAE data residency', area: inCountry('AE') },
  { name: 'anthropic-global', provider: 'anthropic', displayName: 'Claude API, global inference (default inference_geo)', area: GLOBAL },
  { name: 'anthropic-us', provider: 'anthropic', displayName: 'Claude API, US-only inference (inference_geo "us")', area: inCountry('US') },
  { name: 'mistral-global', provider: 'mistral', displayName: 'Mistral global endpoint (no processing location promised)', area: GLOBAL },
  { name: 'mistral-eu', provider: 'mistral', displayName: 'Mistral regional inference EU (data centers in EU/EFTA countries)', area: EU_EFTA_AREA },
  { name: 'mistral-us', provider: 'mistral', displayName: 'Mistral regional inference US', area: inCountry('US') },
  { name: 'gcp-global', provider: 'gcp', displayName: 'Vertex AI global endpoint (processed in any Google Cloud location)', area: GLOBAL },
  { name: 'gcp-us', provider: 'gcp', displayName: 'Vertex AI US multi-region', area: inCountry('US') },
  { name: 'gcp-eu', provider: 'gcp', displayName: 'Vertex AI EU multi-region', area: EU_AREA },
  { name: 'gemini-global', provider: 'google', displayName: 'Gemini Developer API (global pool)', area: GLOBAL },
];

// ---------------------------------------------------------------------------------------------
// Build the maps
// ---------------------------------------------------------------------------------------------

function buildGeographies(): Map<string, Geography> {
  const out = new Map<string, Geography>();
  for (const g of MULTI_COUNTRY_GEOGRAPHIES) out.set(g.name, g);
  const hostCountries = new Set<string>();
  for (const rows of [AZURE, AWS, GCP]) for (const [, , country] of rows) hostCountries.add(country);
  for (const p of PSEUDO) if (p.area.kind === 'country') hostCountries.add(p.area.country);
  for (const country of [...hostCountries].sort()) {
    const names = COUNTRY_GEOGRAPHY_NAMES.get(country) ?? [country.toLowerCase()];
    for (const name of names) {
      out.set(name, { name, description: COUNTRY_NAMES.get(country) ?? country, countries: [country] });
    }
  }
  return out;
}

/** Geographies usable in `allowedRegions`, by name. */
export const GEOGRAPHIES: ReadonlyMap<string, Geography> = buildGeographies();

const GEO_COUNTRY_SETS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  [...GEOGRAPHIES.values()].map((g) => [g.name, new Set(g.countries)]),
);

function geographiesOfArea(countries: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name, set] of GEO_COUNTRY_SETS) {
    if (countries.every((c) => set.has(c))) out.push(name);
  }
  return out;
}

const PSEUDO_AREA_LABEL = new Map<string, string>();

function buildRegions(): Map<string, Region> {
  const out = new Map<string, Region>();
  const add = (region: Region): void => {
    if (out.has(region.name)) throw new Error(`duplicate region ${region.name}`);
    out.set(region.name, Object.freeze(region));
  };
  const cloud: ReadonlyArray<readonly [Provider, readonly Row[]]> = [['azure', AZURE], ['aws', AWS], ['gcp', GCP]];
  for (const [provider, rows] of cloud) {
    for (const [name, displayName, country] of rows) {
      add({ name, provider, displayName, country, geographies: Object.freeze(geographiesOfArea([country])) });
    }
  }
  for (const p of PSEUDO) {
    const { area } = p;
    if (area.kind === 'country') {
      add({ name: p.name, provider: p.provider, displayName: p.displayName, country: area.country, geographies: Object.freeze(geographiesOfArea([area.country])) });
    } else if (area.kind === 'countries') {
      PSEUDO_AREA_LABEL.set(p.name, area.label);
      add({ name: p.name, provider: p.provider, displayName: p.displayName, country: undefined, geographies: Object.freeze(geographiesOfArea(area.countries)) });
    } else {
      PSEUDO_AREA_LABEL.set(p.name, 'global');
      add({ name: p.name, provider: p.provider, displayName: p.displayName, country: undefined, geographies: Object.freeze([]) });
    }
  }
  return out;
}

/** Every known region and provider pseudo-region, by name. */
export const REGIONS: ReadonlyMap<string, Region> = buildRegions();

const REGIONS_BY_GEOGRAPHY: ReadonlyMap<string, readonly string[]> = (() => {
  const out = new Map<string, string[]>();
  for (const name of GEOGRAPHIES.keys()) out.set(name, []);
  for (const region of REGIONS.values()) {
    for (const g of region.geographies) out.get(g)?.push(region.name);
  }
  return out;
})();

// Region and geography names share one namespace in `allowedRegions`; they must never collide.
for (const name of GEOGRAPHIES.keys()) {
  if (REGIONS.has(name)) throw new Error(`geography name ${name} collides with a region name`);
}

// ---------------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------------

/** True if `name` is a region (not a geography). Case-sensitive. */
export function isKnownRegion(name: string): boolean {
  return REGIONS.has(name);
}

/** True if `name` is a region or a geography. Case-sensitive. */
export function isKnownRegionOrGeography(name: string): boolean {
  return REGIONS.has(name) || GEOGRAPHIES.has(name);
}

/**
 * The set of region names that a list of regions and geographies stands for. Unknown names are
 * ignored (validation reports them).
 */
export function expandRegions(names: readonly string[]): ReadonlySet<string> {
  const out = new Set<string>();
  for (const name of names) {
    if (REGIONS.has(name)) {
      out.add(name);
      continue;
    }
    const members = REGIONS_BY_GEOGRAPHY.get(name);
    if (members !== undefined) for (const r of members) out.add(r);
  }
  return out;
}

const ALL_NAMES: readonly string[] = [...REGIONS.keys(), ...GEOGRAPHIES.keys()];

/**
 * "Did you mean": the known region and geography names nearest to `name` by edit distance, best
 * first, at most `max`. Only close names are returned (at most 1 edit for names of up to 4
 * characters, 2 up to 8, 3 beyond), so a name unlike anything gives an empty list. The input is
 * compared case-insensitively, with spaces removed and `_` read as `-` ("West Europe" ->
 * "westeurope"). A name that is already known is not suggested back.
 */
export function suggestRegions(name: string, max = 3): string[] {
  if (max <= 0) return [];
  const normalized = name.trim().toLowerCase().replace(/\s+/g, '').replace(/_/g, '-');
  if (normalized.length === 0) return [];
  const limit = normalized.length <= 4 ? 1 : normalized.length <= 8 ? 2 : 3;
  const scored: Array<{ candidate: string; distance: number }> = [];
  for (const candidate of ALL_NAMES) {
    if (candidate === name) continue;
    const distance = editDistance(normalized, candidate, limit);
    if (distance <= limit) scored.push({ candidate, distance });
  }
  scored.sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate));
  return scored.slice(0, max).map((s) => s.candidate);
}

/**
 * A one-line description for messages, e.g. "westeurope (Azure, West Europe, NL)",
 * "openai-eu (OpenAI, OpenAI Europe data residency, EU)", "eu (geography: European Union ...)".
 */
export function describeRegion(name: string): string {
  const region = REGIONS.get(name);
  if (region !== undefined) {
    const where = region.country ?? PSEUDO_AREA_LABEL.get(name) ?? 'location unknown';
    return `${name} (${PROVIDER_LABEL[region.provider]}, ${region.displayName}, ${where})`;
  }
  const geography = GEOGRAPHIES.get(name);
  if (geography !== undefined) return `${name} (geography: ${geography.description})`;
  return `${name} (unknown region)`;
}
