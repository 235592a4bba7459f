import { expect } from 'chai';
import {
  COUNTRY_NAMES,
  GEOGRAPHIES,
  REGIONS,
  describeRegion,
  expandRegions,
  isKnownRegion,
  isKnownRegionOrGeography,
  suggestRegions,
} from '../../policy/regions.ts';
import type { Provider } from '../../policy/regions.ts';

function countBy(provider: Provider): number {
  return [...REGIONS.values()].filter((r) => r.provider === provider).length;
}

describe('policy/regions', () => {
  describe('catalog', () => {
    it('has a plausible number of regions per cloud', () => {
      expect(countBy('azure')).to.be.at.least(50);
      expect(countBy('aws')).to.be.at.least(30);
      expect(countBy('gcp')).to.be.at.least(35);
    });

    it('maps known regions to the right country and provider', () => {
      const samples: ReadonlyArray<readonly [string, Provider, string]> = [
        ['westeurope', 'azure', 'NL'],
        ['northeurope', 'azure', 'IE'],
        ['swedencentral', 'azure', 'SE'],
        ['germanywestcentral', 'azure', 'DE'],
        ['uksouth', 'azure', 'GB'],
        ['switzerlandnorth', 'azure', 'CH'],
        ['norwayeast', 'azure', 'NO'],
        ['eastasia', 'azure', 'HK'],
        ['southeastasia', 'azure', 'SG'],
        ['eastus', 'azure', 'US'],
        ['eu-central-1', 'aws', 'DE'],
        ['eu-central-2', 'aws', 'CH'],
        ['eu-west-1', 'aws', 'IE'],
        ['eu-west-2', 'aws', 'GB'],
        ['eu-north-1', 'aws', 'SE'],
        ['us-east-1', 'aws', 'US'],
        ['ap-southeast-2', 'aws', 'AU'],
        ['me-south-1', 'aws', 'BH'],
        ['europe-west4', 'gcp', 'NL'],
        ['europe-west1', 'gcp', 'BE'],
        ['europe-west2', 'gcp', 'GB'],
        ['europe-west6', 'gcp', 'CH'],
        ['us-central1', 'gcp', 'US'],
        ['asia-east1', 'gcp', 'TW'],
        ['me-central2', 'gcp', 'SA'],
      ];
      for (const [name, provider, country] of samples) {
        const region = REGIONS.get(name);
        expect(region, name).to.not.equal(undefined);
        expect(region!.provider, name).to.equal(provider);
        expect(region!.country, name).to.equal(country);
        expect(region!.name).to.equal(name);
      }
    });

    it('gives every region a valid ISO country or direct geographies (or marks it global)', () => {
      for (const region of REGIONS.values()) {
        expect(region.name).to.match(/^[a-z0-9-]+$/);
        expect(region.displayName.length, region.name).to.be.greaterThan(0);
        if (region.country !== undefined) {
          expect(region.country, region.name).to.match(/^[A-Z]{2}$/);
          expect(COUNTRY_NAMES.has(region.country), region.name).to.be.true;
          const countryGeos = [...GEOGRAPHIES.values()].filter((g) => g.countries.length === 1 && g.countries[0] === region.country);
          expect(countryGeos.length, region.name).to.be.greaterThan(0);
          for (const g of countryGeos) expect(region.geographies, region.name).to.include(g.name);
        } else if (region.name.endsWith('-global')) {
          expect(region.geographies, region.name).to.deep.equal([]);
        } else {
          expect(region.geographies.length, region.name).to.be.greaterThan(0);
        }
        for (const g of region.geographies) expect(GEOGRAPHIES.has(g), `${region.name} -> ${g}`).to.be.true;
      }
    });

    it('derives geographies from the country sets', () => {
      for (const region of REGIONS.values()) {
        if (region.country === undefined) continue;
        const expected = [...GEOGRAPHIES.values()].filter((g) => g.countries.includes(region.country!)).map((g) => g.name).sort();
        expect([...region.geographies].sort(), region.name).to.deep.equal(expected);
      }
    });

    it('never lets a geography name collide with a region name', () => {
      for (const name of GEOGRAPHIES.keys()) expect(REGIONS.has(name), name).to.be.false;
      for (const [name, g] of GEOGRAPHIES) expect(g.name).to.equal(name);
    });

    it('has the SaaS pseudo-regions', () => {
      for (const name of ['openai-us', 'openai-eu', 'openai-global', 'anthropic-us', 'anthropic-global', 'mistral-eu', 'mistral-us', 'mistral-global', 'gcp-eu', 'gcp-us', 'gcp-global', 'gemini-global']) {
        expect(isKnownRegion(name), name).to.be.true;
      }
      expect(REGIONS.get('openai-us')!.country).to.equal('US');
      expect(REGIONS.get('anthropic-us')!.country).to.equal('US');
      const openaiEu = REGIONS.get('openai-eu')!;
      expect(openaiEu.country).to.equal(undefined);
      expect(openaiEu.geographies).to.include.members(['eu', 'eea', 'europe']);
      // Mistral's EU endpoint may use data centers in EFTA countries (e.g. Switzerland): that is
      // Europe, not the EU or the EEA.
      const mistralEu = REGIONS.get('mistral-eu')!;
      expect(mistralEu.geographies).to.include('europe');
      expect(mistralEu.geographies).to.not.include('eu');
      expect(mistralEu.geographies).to.not.include('eea');
    });
  });

  describe('geographies', () => {
    it('defines the expected geographies', () => {
      for (const name of ['eu', 'eea', 'europe', 'efta', 'us', 'uk', 'ch', 'ca', 'au', 'jp', 'in', 'br', 'kr', 'sg', 'de', 'fr', 'apac', 'americas', 'emea', 'middle-east']) {
        expect(GEOGRAPHIES.has(name), name).to.be.true;
      }
    });

    it('has the right country sets for eu, eea and europe', () => {
      const eu = GEOGRAPHIES.get('eu')!.countries;
      expect(eu).to.have.length(27);
      expect(new Set(eu).size).to.equal(27);
      expect(eu).to.include.members(['DE', 'FR', 'NL', 'IE', 'SE', 'PL', 'AT', 'HU']);
      expect(eu).to.not.include.members(['GB']);
      expect(eu).to.not.include('CH');
      expect(eu).to.not.include('NO');
      const eea = GEOGRAPHIES.get('eea')!.countries;
      expect(eea).to.have.length(30);
      expect(eea).to.include.members([...eu, 'IS', 'LI', 'NO']);
      expect(eea).to.not.include('CH');
      const europe = GEOGRAPHIES.get('europe')!.countries;
      expect(europe).to.include.members([...eea, 'GB', 'CH']);
      for (const g of GEOGRAPHIES.values()) {
        for (const c of g.countries) expect(COUNTRY_NAMES.has(c), `${g.name}: ${c}`).to.be.true;
      }
    });

    it('expands eu to EU regions only', () => {
      const eu = expandRegions(['eu']);
      for (const name of ['westeurope', 'northeurope', 'swedencentral', 'germanywestcentral', 'eu-central-1', 'eu-west-1', 'europe-west4', 'europe-west1', 'openai-eu', 'gcp-eu']) {
        expect(eu.has(name), name).to.be.true;
      }
      for (const name of ['uksouth', 'ukwest', 'switzerlandnorth', 'norwayeast', 'eu-west-2', 'eu-central-2', 'europe-west2', 'europe-west6', 'eastus', 'mistral-eu', 'openai-global']) {
        expect(eu.has(name), name).to.be.false;
      }
      for (const name of eu) {
        const region = REGIONS.get(name)!;
        if (region.country !== undefined) expect(GEOGRAPHIES.get('eu')!.countries).to.include(region.country);
      }
    });

    it('expands eea to include Norway but not Switzerland', () => {
      const eea = expandRegions(['eea']);
      expect(eea.has('norwayeast')).to.be.true;
      expect(eea.has('norwaywest')).to.be.true;
      expect(eea.has('westeurope')).to.be.true;
      expect(eea.has('switzerlandnorth')).to.be.false;
      expect(eea.has('uksouth')).to.be.false;
    });

    it('expands europe to include the UK and Switzerland', () => {
      const europe = expandRegions(['europe']);
      for (const name of ['uksouth', 'eu-west-2', 'europe-west2', 'switzerlandnorth', 'eu-central-2', 'norwayeast', 'westeurope', 'mistral-eu']) {
        expect(europe.has(name), name).to.be.true;
      }
      expect(europe.has('eastus')).to.be.false;
      expect(europe.has('israelcentral')).to.be.false;
    });

    it('expands uk to UK regions only', () => {
      const uk = expandRegions(['uk']);
      expect([...uk].sort()).to.deep.equal(['eu-west-2', 'europe-west2', 'uksouth', 'ukwest']);
      expect([...expandRegions(['gb'])].sort()).to.deep.equal([...uk].sort());
    });

    it('expands country geographies', () => {
      const de = expandRegions(['de']);
      expect(de.has('germanywestcentral')).to.be.true;
      expect(de.has('eu-central-1')).to.be.true;
      expect(de.has('eusc-de-east-1')).to.be.true;
      expect(de.has('europe-west3')).to.be.true;
      expect(de.has('europe-west10')).to.be.true;
      expect(de.has('westeurope')).to.be.false;
      const us = expandRegions(['us']);
      expect(us.has('eastus')).to.be.true;
      expect(us.has('us-east-1')).to.be.true;
      expect(us.has('us-central1')).to.be.true;
      expect(us.has('openai-us')).to.be.true;
      expect(us.has('anthropic-us')).to.be.true;
      expect(us.has('openai-global')).to.be.false;
      expect(us.has('anthropic-global')).to.be.false;
      expect(us.has('canadacentral')).to.be.false;
    });

    it('mixes regions and geographies and ignores unknown names', () => {
      const set = expandRegions(['ch', 'westeurope', 'nonsense', 'openai-global']);
      expect(set.has('switzerlandnorth')).to.be.true;
      expect(set.has('switzerlandwest')).to.be.true;
      expect(set.has('westeurope')).to.be.true;
      expect(set.has('openai-global')).to.be.true;
      expect(set.has('nonsense')).to.be.false;
      expect(expandRegions([]).size).to.equal(0);
      expect(expandRegions(['nope']).size).to.equal(0);
    });

    it('lets no geography include a *-global pseudo-region', () => {
      for (const g of GEOGRAPHIES.keys()) {
        for (const name of expandRegions([g])) expect(name.endsWith('-global'), `${g} -> ${name}`).to.be.false;
      }
    });
  });

  describe('lookups', () => {
    it('tells regions from geographies, case-sensitively', () => {
      expect(isKnownRegion('westeurope')).to.be.true;
      expect(isKnownRegion('eu')).to.be.false;
      expect(isKnownRegion('WestEurope')).to.be.false;
      expect(isKnownRegion('')).to.be.false;
      expect(isKnownRegionOrGeography('eu')).to.be.true;
      expect(isKnownRegionOrGeography('europe-west4')).to.be.true;
      expect(isKnownRegionOrGeography('EU')).to.be.false;
      expect(isKnownRegionOrGeography('mars-1')).to.be.false;
      expect(isKnownRegion('toString')).to.be.false;
      expect(isKnownRegionOrGeography('__proto__')).to.be.false;
    });

    it('describes regions for error messages', () => {
      expect(describeRegion('westeurope')).to.equal('westeurope (Azure, West Europe, NL)');
      expect(describeRegion('eu-central-1')).to.equal('eu-central-1 (AWS, Europe (Frankfurt), DE)');
      expect(describeRegion('europe-west4')).to.equal('europe-west4 (GCP, Eemshaven, Netherlands, NL)');
      expect(describeRegion('openai-eu')).to.contain('OpenAI').and.contain('EU');
      expect(describeRegion('mistral-eu')).to.contain('EU/EFTA');
      expect(describeRegion('openai-global')).to.contain('global');
      expect(describeRegion('eu')).to.contain('geography').and.contain('European Union');
      expect(describeRegion('mars-1')).to.equal('mars-1 (unknown region)');
    });
  });

  describe('suggestRegions', () => {
    it('suggests the near names, best first', () => {
      expect(suggestRegions('westeuropa')[0]).to.equal('westeurope');
      expect(suggestRegions('eu-central1')[0]).to.equal('eu-central-1');
      expect(suggestRegions('europe-west-4')[0]).to.equal('europe-west4');
      expect(suggestRegions('swedencentrl')[0]).to.equal('swedencentral');
      expect(suggestRegions('westeruope')[0]).to.equal('westeurope'); // transposition
      expect(suggestRegions('West Europe')[0]).to.equal('westeurope');
      expect(suggestRegions('EU_CENTRAL_1')[0]).to.equal('eu-central-1');
      expect(suggestRegions('euu')).to.include('eu');
    });

    it('limits the number of suggestions', () => {
      expect(suggestRegions('eu-west-9').length).to.be.at.most(3);
      expect(suggestRegions('eu-west-9', 1)).to.have.length(1);
      expect(suggestRegions('eu-west-9', 0)).to.deep.equal([]);
      expect(suggestRegions('eu-west-9', 10).length).to.be.at.most(10);
      for (const s of suggestRegions('eu-west-9', 10)) expect(isKnownRegionOrGeography(s)).to.be.true;
    });

    it('suggests nothing (or very little) for far-off names', () => {
      expect(suggestRegions('mars-1').length).to.be.at.most(3);
      expect(suggestRegions('completely-unrelated-name')).to.deep.equal([]);
      expect(suggestRegions('')).to.deep.equal([]);
      expect(suggestRegions('   ')).to.deep.equal([]);
    });

    it('does not suggest a known name back to itself', () => {
      expect(suggestRegions('westeurope')).to.not.include('westeurope');
    });
  });
});
