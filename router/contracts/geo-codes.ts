// The locations Route53 geolocation records accept (the GeoLocation data type of the Route53 API):
// continents AF AN AS EU NA OC SA; countries by ISO 3166-1 alpha-2 (Route53 "also supports UA"); and
// subdivisions only for the United States, by USPS state abbreviation. Checked here so a typo in the
// regions file (`countries = ["UK"]`, `"DE-BY"`) fails `regions add` and synth, not a Route53 change batch.

/** ISO 3166-1 alpha-2, the 249 officially assigned codes. */
export const ROUTE53_COUNTRY_CODES: ReadonlySet<string> = new Set(
  ('AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
    'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
    'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW').split(' '),
);

/** The only country with subdivisions in Route53, and its states (plus DC). */
export const ROUTE53_SUBDIVISIONS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [
    'US',
    new Set(
      ('AK AL AR AZ CA CO CT DC DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE NH NJ NM NV NY OH OK OR ' +
        'PA RI SC SD TN TX UT VA VT WA WI WV WY').split(' '),
    ),
  ],
]);

/** Codes people type for a country that ISO spells otherwise. */
const INSTEAD: Readonly<Record<string, string>> = { UK: 'GB', EL: 'GR', EU: 'a continent (continents = ["EU"])' };

/** Why `code` is not a Route53 country or subdivision, or undefined when it is one. */
export function route53LocationProblem(code: string): string | undefined {
  const sub = /^([A-Z]{2})-([A-Z0-9]{1,3})$/.exec(code);
  if (sub !== null) {
    const states = ROUTE53_SUBDIVISIONS.get(sub[1]!);
    if (states === undefined) return `"${code}": Route53 has subdivisions for the United States only (like "US-CA"); use the country "${sub[1]}"`;
    return states.has(sub[2]!) ? undefined : `"${code}" is not a US state Route53 knows (two letters, like "US-CA")`;
  }
  if (!/^[A-Z]{2}$/.test(code)) return `"${code}" is not an ISO country code ("DE") or subdivision ("US-CA")`;
  if (ROUTE53_COUNTRY_CODES.has(code)) return undefined;
  const hint = INSTEAD[code];
  return `"${code}" is not an ISO 3166-1 country code Route53 accepts${hint === undefined ? '' : ` (did you mean ${hint.startsWith('a ') ? hint : `"${hint}"`}?)`}`;
}
