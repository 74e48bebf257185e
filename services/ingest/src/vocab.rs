//! Known value texts and codes of StatBank variables: how a cell of a `Value` (text) or
//! `CodeAndValue` export becomes a code, and how a code becomes the key lighed stores.
//!
//! Built once from the files in `services/ingest/data/` (compiled in): `value_texts.toml`
//! (variables → domains, texts → codes), the KOMGRP classification (the 98 municipality names and
//! codes) and `rm_kommuner.csv` (cross-check of the 19 Region Midtjylland municipalities).
//!
//! Invariant: a text that is not known is an error ([`ErrorKind::UnmappedText`]); nothing is
//! guessed. Age texts are recognised by rule (`N år`, `N-M år`, `N år og derover`, `Under N år` and
//! the English `N years`, `1 year`, `N-M years`, `N years and over`, `Under N years`), because
//! listing 126 ages in two languages adds nothing but typos.
//!
//! Keys (what an observation carries):
//! - area: the StatBank code as published (`000`, `082`, `751`, `7002`), digits only;
//! - sex: `""` (both: code `TOT`), `"1"` men, `"2"` women (codes `1`/`2`, or `M`/`K`);
//! - age: `""` (all ages: `IALT` or `TOT`), `"37"` (one year), `"0-4"` (band), `"100+"`
//!   (open band: codes `100OV`, `100-`, texts `100 år og derover`), `"0-14"` (code `9915`,
//!   "Under 15 år");
//! - other variables: the code.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::classification::read_classification;
use crate::error::ErrorKind;
use crate::options::{EncodingChoice, Lang};

const VALUE_TEXTS: &str = include_str!("../data/value_texts.toml");
const KOMGRP: &[u8] = include_bytes!("../data/dst_classification_komgrp.csv");
const RM_KOMMUNER: &[u8] = include_bytes!("../data/rm_kommuner.csv");

/// Highest single year of age accepted as an age code (FOLK1A's ALDER runs to 125).
const MAX_AGE: u32 = 125;
/// Highest age accepted in a band label.
pub(crate) const MAX_BAND_AGE: u32 = 150;

/// The domain of a StatBank variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Domain {
    /// Geography: digits codes, texts of country/regions/municipalities.
    Area,
    /// Sex: `TOT`/`1`/`2` (and `M`/`K`).
    Sex,
    /// Age: single years, bands, totals.
    Age,
    /// A plain table of codes and texts (index into `Vocabulary::tables`).
    Table(usize),
    /// A variable with no known texts: any code without whitespace; no text is mappable.
    Unknown,
}

#[derive(Debug)]
struct Table {
    name: String,
    texts: [HashMap<String, String>; 2],
    codes: Vec<String>,
}

/// The compiled-in vocabulary of value texts.
#[derive(Debug)]
pub struct Vocabulary {
    variables: HashMap<String, Domain>,
    area: [HashMap<String, String>; 2],
    sex: [HashMap<String, String>; 2],
    age: [HashMap<String, String>; 2],
    tables: Vec<Table>,
    municipalities: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVocab {
    variables: BTreeMap<String, String>,
    texts: BTreeMap<String, RawLangTexts>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLangTexts {
    da: BTreeMap<String, String>,
    en: BTreeMap<String, String>,
}

fn lang_index(lang: Lang) -> usize {
    match lang {
        Lang::Da => 0,
        Lang::En => 1,
    }
}

fn other(lang: Lang) -> Lang {
    match lang {
        Lang::Da => Lang::En,
        Lang::En => Lang::Da,
    }
}

fn to_map(m: BTreeMap<String, String>) -> HashMap<String, String> {
    m.into_iter().collect()
}

impl Vocabulary {
    /// The vocabulary built from the compiled-in data files (built once per process).
    ///
    /// Fails only if the bundled data are inconsistent (a bug caught by the crate's tests).
    pub fn bundled() -> Result<&'static Vocabulary, String> {
        static CELL: OnceLock<Result<Vocabulary, String>> = OnceLock::new();
        CELL.get_or_init(Vocabulary::build)
            .as_ref()
            .map_err(Clone::clone)
    }

    fn build() -> Result<Vocabulary, String> {
        let raw: RawVocab =
            toml::from_str(VALUE_TEXTS).map_err(|e| format!("data/value_texts.toml: {e}"))?;
        let mut texts = raw.texts;
        let mut take = |name: &str| -> Result<[HashMap<String, String>; 2], String> {
            let t = texts
                .remove(name)
                .ok_or_else(|| format!("data/value_texts.toml: [texts.{name}] is missing"))?;
            Ok([to_map(t.da), to_map(t.en)])
        };
        let mut area = take("area")?;
        let sex = take("sex")?;
        let age = take("age")?;

        // Municipalities: KOMGRP level 2, both languages (StatBank uses the Danish names in both).
        let komgrp = read_classification(
            "data/dst_classification_komgrp.csv",
            KOMGRP,
            EncodingChoice::Utf8,
        )
        .map_err(|e| e.to_string())?;
        let municipalities: Vec<(String, String)> = komgrp
            .level(2)
            .map(|i| (i.code.clone(), i.title.clone()))
            .collect();
        for (code, name) in &municipalities {
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "KOMGRP: municipality code {code:?} is not 3 digits"
                ));
            }
            for map in area.iter_mut() {
                if let Some(prev) = map.insert(name.clone(), code.clone()) {
                    return Err(format!("area text {name:?} maps to both {prev} and {code}"));
                }
            }
        }

        // Cross-check the region's municipalities against KOMGRP.
        let mut rm = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(RM_KOMMUNER);
        for record in rm.records() {
            let record = record.map_err(|e| format!("data/rm_kommuner.csv: {e}"))?;
            let (code, name) = (record.get(0).unwrap_or(""), record.get(1).unwrap_or(""));
            if !municipalities.iter().any(|(c, n)| c == code && n == name) {
                return Err(format!(
                    "data/rm_kommuner.csv: {code} {name} is not in KOMGRP"
                ));
            }
        }

        let mut tables = Vec::new();
        let mut table_index = HashMap::new();
        for (name, t) in texts {
            let maps = [to_map(t.da), to_map(t.en)];
            let mut codes: Vec<String> = maps.iter().flat_map(|m| m.values().cloned()).collect();
            codes.sort();
            codes.dedup();
            table_index.insert(name.clone(), tables.len());
            tables.push(Table {
                name,
                texts: maps,
                codes,
            });
        }

        let mut variables = HashMap::new();
        for (var, domain) in raw.variables {
            let d = match domain.as_str() {
                "area" => Domain::Area,
                "sex" => Domain::Sex,
                "age" => Domain::Age,
                other => Domain::Table(*table_index.get(other).ok_or_else(|| {
                    format!("data/value_texts.toml: variable {var} has domain {other:?} without [texts.{other}]")
                })?),
            };
            variables.insert(var, d);
        }
        let vocab = Vocabulary {
            variables,
            area,
            sex,
            age,
            tables,
            municipalities,
        };
        // Every listed text must resolve to a valid key of its domain.
        for (domain, maps) in [
            (Domain::Area, &vocab.area),
            (Domain::Sex, &vocab.sex),
            (Domain::Age, &vocab.age),
        ] {
            for map in maps {
                for (text, code) in map {
                    vocab
                        .code_key("(check)", domain, code)
                        .map_err(|e| format!("data/value_texts.toml: text {text:?}: {e}"))?;
                }
            }
        }
        Ok(vocab)
    }

    /// The 98 municipalities of the KOMGRP classification: (3-digit code, name).
    pub fn municipalities(&self) -> &[(String, String)] {
        &self.municipalities
    }

    /// The domain of a variable (by its header code).
    pub(crate) fn domain(&self, variable: &str) -> Domain {
        self.variables
            .get(variable)
            .copied()
            .unwrap_or(Domain::Unknown)
    }

    /// The key of a code of `variable`, or why the code is not valid.
    pub(crate) fn code_key(
        &self,
        variable: &str,
        domain: Domain,
        code: &str,
    ) -> Result<String, ErrorKind> {
        let unknown = |expected: &str| ErrorKind::UnknownCode {
            variable: variable.to_string(),
            expected: expected.to_string(),
        };
        match domain {
            Domain::Area => {
                if !code.is_empty() && code.len() <= 8 && code.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(code.to_string())
                } else {
                    Err(unknown("an area code of 1-8 digits, e.g. 000, 082, 751"))
                }
            }
            Domain::Sex => match code {
                "TOT" => Ok(String::new()),
                "1" | "M" => Ok("1".into()),
                "2" | "K" => Ok("2".into()),
                _ => Err(unknown("TOT, 1 or 2")),
            },
            Domain::Age => age_code_key(code).ok_or_else(|| {
                unknown("IALT, TOT, a single age 0-125, a band N-M, 100OV, 100- or 9915")
            }),
            Domain::Table(i) => {
                let t = &self.tables[i];
                if t.codes.iter().any(|c| c == code) {
                    Ok(code.to_string())
                } else {
                    Err(unknown(&format!(
                        "one of {} ({})",
                        t.codes.join(", "),
                        t.name
                    )))
                }
            }
            Domain::Unknown => {
                if !code.is_empty() && !code.contains(char::is_whitespace) {
                    Ok(code.to_string())
                } else {
                    Err(unknown("a code without spaces"))
                }
            }
        }
    }

    fn text_code_in(&self, domain: Domain, text: &str, lang: Lang) -> Option<String> {
        let li = lang_index(lang);
        let listed = match domain {
            Domain::Area => self.area[li].get(text),
            Domain::Sex => self.sex[li].get(text),
            Domain::Age => self.age[li].get(text),
            Domain::Table(i) => self.tables[i].texts[li].get(text),
            Domain::Unknown => None,
        };
        if let Some(code) = listed {
            return Some(code.clone());
        }
        if domain == Domain::Age {
            return age_text_key(text, lang).map(AgeText::into_code);
        }
        None
    }

    /// Whether `text` is a known value text of the domain in either language (for detecting the
    /// presentation before the language is checked).
    pub(crate) fn is_known_text(&self, domain: Domain, text: &str) -> bool {
        self.text_code_in(domain, text, Lang::Da).is_some()
            || self.text_code_in(domain, text, Lang::En).is_some()
    }

    /// The key of a value text of `variable` in `lang`, or why there is none.
    pub(crate) fn text_key(
        &self,
        variable: &str,
        domain: Domain,
        text: &str,
        lang: Lang,
    ) -> Result<String, ErrorKind> {
        if let Some(code) = self.text_code_in(domain, text, lang) {
            return self.code_key(variable, domain, &code);
        }
        let hint = if domain == Domain::Unknown {
            format!(
                "; no value texts are known for variable {variable}: export with valuePresentation=Code or CodeAndValue, or add its texts to services/ingest/data/value_texts.toml"
            )
        } else if self.text_code_in(domain, text, other(lang)).is_some() {
            format!(
                "; this is a text of lang={}: was the file exported in that language?",
                other(lang).as_str()
            )
        } else {
            String::new()
        };
        Err(ErrorKind::UnmappedText {
            variable: variable.to_string(),
            hint,
        })
    }
}

/// An age text recognised by rule, as the age code StatBank uses for it.
enum AgeText {
    Single(u32),
    Band(u32, u32),
    Open(u32),
}

impl AgeText {
    fn into_code(self) -> String {
        match self {
            AgeText::Single(n) => n.to_string(),
            AgeText::Band(a, b) => format!("{a}-{b}"),
            AgeText::Open(n) => format!("{n}OV"),
        }
    }
}

fn small_number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|n| *n <= MAX_BAND_AGE)
}

fn band(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('-')?;
    let (a, b) = (small_number(a)?, small_number(b)?);
    (a < b).then_some((a, b))
}

/// Recognises `N år`, `N-M år`, `N år og derover`, `Under N år` (da) and `N years`, `1 year`,
/// `N-M years`, `N years and over`, `Under N years` (en).
fn age_text_key(text: &str, lang: Lang) -> Option<AgeText> {
    let (unit, unit_one, over, under) = match lang {
        Lang::Da => (" år", " år", " år og derover", "Under "),
        Lang::En => (" years", " year", " years and over", "Under "),
    };
    if let Some(n) = text.strip_suffix(over) {
        return small_number(n).map(AgeText::Open);
    }
    if let Some(rest) = text.strip_prefix(under) {
        let n = small_number(
            rest.strip_suffix(unit)
                .or_else(|| rest.strip_suffix(unit_one))?,
        )?;
        return match n {
            0 => None,
            1 => Some(AgeText::Single(0)),
            n => Some(AgeText::Band(0, n - 1)),
        };
    }
    if let Some(n) = text.strip_suffix(unit_one).filter(|n| *n == "1") {
        return small_number(n).map(AgeText::Single);
    }
    let body = text.strip_suffix(unit)?;
    if let Some((a, b)) = band(body) {
        return Some(AgeText::Band(a, b));
    }
    // English uses "1 year" but "0 years"; "1 years" is not a DST text.
    let n = small_number(body)?;
    if lang == Lang::En && n == 1 {
        return None;
    }
    Some(AgeText::Single(n))
}

/// The age key of an age code.
fn age_code_key(code: &str) -> Option<String> {
    match code {
        "IALT" | "TOT" => return Some(String::new()),
        "9915" => return Some("0-14".into()),
        _ => {}
    }
    if let Some(n) = code.strip_suffix("OV").or_else(|| code.strip_suffix('-')) {
        return small_number(n).map(|n| format!("{n}+"));
    }
    if let Some((a, b)) = band(code) {
        return Some(format!("{a}-{b}"));
    }
    small_number(code)
        .filter(|n| *n <= MAX_AGE)
        .map(|n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> &'static Vocabulary {
        Vocabulary::bundled().expect("bundled vocabulary builds")
    }

    #[test]
    fn bundled_vocabulary_has_98_municipalities() {
        // KOMGRP level 2 lists all 98 municipalities (data/SOURCES.md).
        assert_eq!(vocab().municipalities().len(), 98);
    }

    #[test]
    fn area_texts_map_to_codes() {
        let v = vocab();
        let d = v.domain("OMRÅDE");
        assert_eq!(d, Domain::Area);
        assert_eq!(
            v.text_key("OMRÅDE", d, "Hele landet", Lang::Da).unwrap(),
            "000"
        );
        assert_eq!(
            v.text_key("OMRÅDE", d, "All Denmark", Lang::En).unwrap(),
            "000"
        );
        assert_eq!(
            v.text_key("OMRÅDE", d, "Region Midtjylland", Lang::Da)
                .unwrap(),
            "082"
        );
        assert_eq!(v.text_key("OMRÅDE", d, "Aarhus", Lang::Da).unwrap(), "751");
        assert_eq!(v.text_key("OMRÅDE", d, "Herning", Lang::En).unwrap(), "657");
        assert_eq!(
            v.text_key("OMRÅDE", d, "Ringkøbing-Skjern", Lang::Da)
                .unwrap(),
            "760"
        );
        assert_eq!(
            v.text_key("OMRÅDE", d, "København", Lang::Da).unwrap(),
            "101"
        );
        let err = v.text_key("OMRÅDE", d, "Gotham", Lang::Da).unwrap_err();
        assert_eq!(err.code(), "unmapped_text");
        let err = v
            .text_key("OMRÅDE", d, "All Denmark", Lang::Da)
            .unwrap_err();
        assert!(err.to_string().contains("lang=en"), "{err}");
    }

    #[test]
    fn sex_and_age_keys() {
        let v = vocab();
        let sex = v.domain("KØN");
        assert_eq!(v.text_key("KØN", sex, "Mænd", Lang::Da).unwrap(), "1");
        assert_eq!(v.text_key("KØN", sex, "Women", Lang::En).unwrap(), "2");
        assert_eq!(v.text_key("KØN", sex, "I alt", Lang::Da).unwrap(), "");
        assert_eq!(v.code_key("KØN", sex, "TOT").unwrap(), "");
        assert_eq!(v.code_key("KØN", sex, "K").unwrap(), "2");
        assert!(v.code_key("KØN", sex, "3").is_err());
        let age = v.domain("ALDER");
        for (text, lang, key) in [
            ("0 år", Lang::Da, "0"),
            ("37 år", Lang::Da, "37"),
            ("0-4 år", Lang::Da, "0-4"),
            ("100 år og derover", Lang::Da, "100+"),
            ("Under 15 år", Lang::Da, "0-14"),
            ("Alder i alt", Lang::Da, ""),
            ("I alt", Lang::Da, ""),
            ("0 years", Lang::En, "0"),
            ("1 year", Lang::En, "1"),
            ("110 years", Lang::En, "110"),
            ("100 years and over", Lang::En, "100+"),
            ("Total", Lang::En, ""),
        ] {
            assert_eq!(
                v.text_key("ALDER", age, text, lang).as_deref(),
                Ok(key),
                "{text}"
            );
        }
        for bad in ["1 years", "-1 år", "4-0 år", "200 år", "år", "37", "37 år "] {
            let lang = if bad.contains("years") {
                Lang::En
            } else {
                Lang::Da
            };
            assert!(
                v.text_key("ALDER", age, bad, lang).is_err(),
                "{bad:?} accepted"
            );
        }
        for (code, key) in [
            ("IALT", ""),
            ("TOT", ""),
            ("0", "0"),
            ("125", "125"),
            ("0-4", "0-4"),
            ("100OV", "100+"),
            ("100-", "100+"),
            ("95-", "95+"),
            ("9915", "0-14"),
        ] {
            assert_eq!(v.code_key("ALDER", age, code).as_deref(), Ok(key), "{code}");
        }
        for bad in ["126", "999", "x", "", "5-5", "-5", "100OV-"] {
            assert!(v.code_key("ALDER", age, bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn table_domains_and_unknown_variables() {
        let v = vocab();
        let civ = v.domain("CIVILSTAND");
        assert_eq!(
            v.text_key("CIVILSTAND", civ, "I alt", Lang::Da).unwrap(),
            "TOT"
        );
        assert_eq!(
            v.text_key("CIVILSTAND", civ, "Gift/separeret", Lang::Da)
                .unwrap(),
            "G"
        );
        assert_eq!(v.code_key("CIVILSTAND", civ, "U").unwrap(), "U");
        assert!(v.code_key("CIVILSTAND", civ, "X").is_err());
        let unknown = v.domain("FKMED");
        assert_eq!(unknown, Domain::Unknown);
        assert_eq!(v.code_key("FKMED", unknown, "F").unwrap(), "F");
        let err = v
            .text_key("FKMED", unknown, "Medlem af Folkekirken", Lang::Da)
            .unwrap_err();
        assert!(err.to_string().contains("valuePresentation=Code"), "{err}");
    }
}
