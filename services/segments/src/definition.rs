//! Segment definitions as data (`models/segments/*.toml`), parsed and validated into types.
//!
//! A file declares the yes/no **flags** the microdata carries (e.g. `living_alone`, `copd`) and a
//! list of **segments**. A segment has a `base` (the population at risk, the denominator of its
//! prevalence, e.g. "aged 16–24") and `conditions` that, added to the base, define the segment
//! (the numerator, e.g. "outside the labour market and education"). Both are conjunctions of
//! attribute conditions:
//!
//! | key | meaning | values |
//! | --- | --- | --- |
//! | `age` | inclusive age range | `[min, max]`, `0 ≤ min ≤ max ≤ 125` |
//! | `sex` | any of | `"men"` (code 1), `"women"` (code 2) |
//! | `education` | highest education, any of | `"basic"` (1), `"upper_secondary"` (2), `"higher"` (3), `"unknown"` (empty) |
//! | `origin` | any of | `"danish"` (1), `"western"` (2), `"non_western"` (3), `"unknown"` (empty) |
//! | `all_flags` | every listed flag is 1 | declared flag names |
//! | `any_flags` | at least one listed flag is 1 | declared flag names |
//! | `no_flags` | every listed flag is 0 | declared flag names |
//!
//! Every condition describes a *box* in the attribute space (a product of one allowed set per
//! attribute, the flags counted as one attribute with `2^F` patterns), so the segment
//! (`base ∧ conditions`) is a box too, and whether one released population contains another can
//! be decided exactly ([`SetBox::is_subset_of`]); disclosure control uses that to find counts a
//! reader could subtract (see [`crate::release`]).
//!
//! Errors name the file, the 1-based line and the key (`models/segments/x.toml:14: key
//! 'segments[2].base.age': …`); unknown keys are errors, never ignored.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::error::DefinitionError;

/// The largest age a definition or a microdata row may carry.
pub const MAX_AGE: u8 = 125;
/// The most flags a definitions file may declare (the flag patterns are tabulated: `2^F`).
pub const MAX_FLAGS: usize = 12;
/// The most segments a definitions file may declare (membership is a 64-bit mask).
pub const MAX_SEGMENTS: usize = 32;

/// Education codes in microdata: index 0 = `basic` (code `1`), 1 = `upper_secondary` (`2`),
/// 2 = `higher` (`3`), 3 = `unknown` (empty).
pub const EDUCATION_NAMES: [&str; 4] = ["basic", "upper_secondary", "higher", "unknown"];
/// Origin codes in microdata: index 0 = `danish` (code `1`), 1 = `western` (`2`),
/// 2 = `non_western` (`3`), 3 = `unknown` (empty).
pub const ORIGIN_NAMES: [&str; 4] = ["danish", "western", "non_western", "unknown"];
/// Sex names: index 0 = `men` (StatBank code `1`), 1 = `women` (`2`).
pub const SEX_NAMES: [&str; 2] = ["men", "women"];

/// A product set ("box") of the attribute space: one allowed set per attribute.
///
/// Ages are a 126-bit set (0..=125), sex a 2-bit set, education and origin 4-bit sets, flags a
/// set of flag patterns (bit `p` of `flags` allows the pattern whose bit `j` is flag `j`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetBox {
    /// Allowed ages, bit `a` = age `a`.
    pub age: u128,
    /// Allowed sexes, bit 0 = men, bit 1 = women.
    pub sex: u8,
    /// Allowed education categories (see [`EDUCATION_NAMES`]).
    pub education: u8,
    /// Allowed origins (see [`ORIGIN_NAMES`]).
    pub origin: u8,
    /// Allowed flag patterns, `2^F` bits.
    pub flags: Vec<u64>,
}

const ALL_AGES: u128 = (1u128 << (MAX_AGE as u32 + 1)) - 1;

impl SetBox {
    /// The whole population for `nflags` declared flags.
    pub fn everyone(nflags: usize) -> SetBox {
        let patterns = 1usize << nflags;
        let mut flags = vec![u64::MAX; patterns.div_ceil(64)];
        if !patterns.is_multiple_of(64) {
            flags[0] = (1u64 << patterns) - 1;
        }
        SetBox {
            age: ALL_AGES,
            sex: 0b11,
            education: 0b1111,
            origin: 0b1111,
            flags,
        }
    }

    /// The intersection of two boxes (a box).
    pub fn intersect(&self, other: &SetBox) -> SetBox {
        SetBox {
            age: self.age & other.age,
            sex: self.sex & other.sex,
            education: self.education & other.education,
            origin: self.origin & other.origin,
            flags: self
                .flags
                .iter()
                .zip(&other.flags)
                .map(|(a, b)| a & b)
                .collect(),
        }
    }

    /// True when no person can be in the box.
    pub fn is_empty(&self) -> bool {
        self.age == 0
            || self.sex == 0
            || self.education == 0
            || self.origin == 0
            || self.flags.iter().all(|&w| w == 0)
    }

    /// Whether every person in `self` is also in `other` (exact, attribute by attribute).
    pub fn is_subset_of(&self, other: &SetBox) -> bool {
        self.is_empty()
            || (self.age & !other.age == 0
                && self.sex & !other.sex == 0
                && self.education & !other.education == 0
                && self.origin & !other.origin == 0
                && self
                    .flags
                    .iter()
                    .zip(&other.flags)
                    .all(|(a, b)| a & !b == 0))
    }

    /// `self ∖ part` when it is a box (the two differ in at most one attribute), else `None`.
    /// Requires `part ⊆ self`.
    pub fn minus(&self, part: &SetBox) -> Option<SetBox> {
        let mut out = self.clone();
        let mut differing = 0;
        if self.age != part.age {
            differing += 1;
            out.age = self.age & !part.age;
        }
        if self.sex != part.sex {
            differing += 1;
            out.sex = self.sex & !part.sex;
        }
        if self.education != part.education {
            differing += 1;
            out.education = self.education & !part.education;
        }
        if self.origin != part.origin {
            differing += 1;
            out.origin = self.origin & !part.origin;
        }
        if self.flags != part.flags {
            differing += 1;
            out.flags = self
                .flags
                .iter()
                .zip(&part.flags)
                .map(|(a, b)| a & !b)
                .collect();
        }
        (differing <= 1).then_some(out)
    }

    /// Whether a flag pattern is allowed.
    pub fn allows_pattern(&self, pattern: usize) -> bool {
        self.flags[pattern / 64] >> (pattern % 64) & 1 == 1
    }
}

/// One declared flag (a 0/1 microdata column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagDef {
    /// Column name and id, e.g. `living_alone`.
    pub name: String,
    /// What a 1 means, in plain words.
    pub label: String,
    /// Where the flag comes from (register, survey, derivation rule).
    pub source: String,
}

/// One validated segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentDef {
    /// Stable id, e.g. `neet_16_24` (the long format's `segment` column).
    pub id: String,
    /// Short label used in reasons.
    pub label: String,
    /// What the segment is and why it is a focus group.
    pub description: String,
    /// Label of the base population, e.g. `residents aged 16-24`.
    pub base_label: String,
    /// The base population (denominator).
    pub base: SetBox,
    /// The segment (numerator): `base ∧ conditions`, never empty, always a subset of `base`.
    pub members: SetBox,
    /// 1-based line of the segment in its file.
    pub line: usize,
}

/// A validated definitions file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definitions {
    /// Name, e.g. `rm-focus-groups`.
    pub name: String,
    /// Version, e.g. `1.0.0`.
    pub version: String,
    /// What the file is for.
    pub description: String,
    /// Declared flags in file order (flag `j` is bit `j` of a pattern).
    pub flags: Vec<FlagDef>,
    /// Segments in file order.
    pub segments: Vec<SegmentDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    definitions: Spanned<RawHeader>,
    #[serde(default)]
    flags: BTreeMap<Spanned<String>, Spanned<RawFlag>>,
    segments: Spanned<Vec<Spanned<RawSegment>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: Spanned<String>,
    version: Spanned<String>,
    description: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlag {
    label: Spanned<String>,
    source: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSegment {
    id: Spanned<String>,
    label: Spanned<String>,
    description: Spanned<String>,
    base_label: Spanned<String>,
    #[serde(default)]
    source: Option<Spanned<String>>,
    base: Spanned<RawConditions>,
    conditions: Spanned<RawConditions>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConditions {
    #[serde(default)]
    age: Option<Spanned<Vec<Spanned<i64>>>>,
    #[serde(default)]
    sex: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    education: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    origin: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    all_flags: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    any_flags: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    no_flags: Option<Spanned<Vec<Spanned<String>>>>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}

struct Ctx<'a> {
    source: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err<T>(
        &self,
        key: impl Into<String>,
        span_start: usize,
        message: impl Into<String>,
    ) -> Result<T, DefinitionError> {
        Err(DefinitionError::Invalid {
            source_name: self.source.to_string(),
            line: line_of(self.text, span_start),
            key: key.into(),
            message: message.into(),
        })
    }

    fn text_field(&self, key: &str, v: &Spanned<String>) -> Result<String, DefinitionError> {
        let s = v.get_ref().trim();
        if s.is_empty() {
            return self.err(key, v.span().start, "must not be empty");
        }
        Ok(s.to_string())
    }

    fn names_to_mask(
        &self,
        key: &str,
        list: &Spanned<Vec<Spanned<String>>>,
        names: &[&str],
    ) -> Result<u8, DefinitionError> {
        if list.get_ref().is_empty() {
            return self.err(
                key,
                list.span().start,
                "an empty list allows nobody; leave the key out to allow everyone",
            );
        }
        let mut mask = 0u8;
        for v in list.get_ref() {
            match names.iter().position(|n| n == v.get_ref()) {
                Some(i) if mask >> i & 1 == 0 => mask |= 1 << i,
                Some(_) => {
                    return self.err(
                        key,
                        v.span().start,
                        format!("'{}' is listed twice", v.get_ref()),
                    );
                }
                None => {
                    return self.err(
                        key,
                        v.span().start,
                        format!(
                            "unknown value '{}': expected one of {}",
                            v.get_ref(),
                            names.join(", ")
                        ),
                    );
                }
            }
        }
        Ok(mask)
    }

    fn flag_mask(
        &self,
        key: &str,
        list: &Spanned<Vec<Spanned<String>>>,
        flags: &[FlagDef],
    ) -> Result<u32, DefinitionError> {
        if list.get_ref().is_empty() {
            return self.err(
                key,
                list.span().start,
                "an empty flag list is meaningless; leave the key out",
            );
        }
        let mut mask = 0u32;
        for v in list.get_ref() {
            match flags.iter().position(|f| &f.name == v.get_ref()) {
                Some(i) if mask >> i & 1 == 0 => mask |= 1 << i,
                Some(_) => {
                    return self.err(
                        key,
                        v.span().start,
                        format!("flag '{}' is listed twice", v.get_ref()),
                    );
                }
                None => {
                    let declared: Vec<&str> = flags.iter().map(|f| f.name.as_str()).collect();
                    return self.err(
                        key,
                        v.span().start,
                        format!(
                            "flag '{}' is not declared in [flags] (declared: {})",
                            v.get_ref(),
                            if declared.is_empty() {
                                "none".to_string()
                            } else {
                                declared.join(", ")
                            }
                        ),
                    );
                }
            }
        }
        Ok(mask)
    }

    fn conditions(
        &self,
        key: &str,
        raw: &RawConditions,
        flags: &[FlagDef],
    ) -> Result<SetBox, DefinitionError> {
        let mut b = SetBox::everyone(flags.len());
        if let Some(age) = &raw.age {
            let k = format!("{key}.age");
            let v = age.get_ref();
            if v.len() != 2 {
                return self.err(
                    k,
                    age.span().start,
                    "age must be [min, max] (inclusive years)",
                );
            }
            let (lo, hi) = (*v[0].get_ref(), *v[1].get_ref());
            if !(0..=MAX_AGE as i64).contains(&lo) || !(0..=MAX_AGE as i64).contains(&hi) || lo > hi
            {
                return self.err(
                    k,
                    age.span().start,
                    format!("age range [{lo}, {hi}] is invalid: need 0 <= min <= max <= {MAX_AGE}"),
                );
            }
            let width = (hi - lo + 1) as u32;
            let bits = if width == 128 {
                u128::MAX
            } else {
                (1u128 << width) - 1
            };
            b.age = bits << lo;
        }
        if let Some(s) = &raw.sex {
            b.sex = self.names_to_mask(&format!("{key}.sex"), s, &SEX_NAMES)?;
        }
        if let Some(s) = &raw.education {
            b.education = self.names_to_mask(&format!("{key}.education"), s, &EDUCATION_NAMES)?;
        }
        if let Some(s) = &raw.origin {
            b.origin = self.names_to_mask(&format!("{key}.origin"), s, &ORIGIN_NAMES)?;
        }
        let all = match &raw.all_flags {
            Some(l) => self.flag_mask(&format!("{key}.all_flags"), l, flags)?,
            None => 0,
        };
        let none = match &raw.no_flags {
            Some(l) => self.flag_mask(&format!("{key}.no_flags"), l, flags)?,
            None => 0,
        };
        let any = match &raw.any_flags {
            Some(l) => Some(self.flag_mask(&format!("{key}.any_flags"), l, flags)?),
            None => None,
        };
        if all & none != 0 {
            let span = raw.no_flags.as_ref().map_or(0, |l| l.span().start);
            return self.err(
                format!("{key}.no_flags"),
                span,
                "a flag cannot be both required (all_flags) and excluded (no_flags)",
            );
        }
        for p in 0..(1usize << flags.len()) {
            let p32 = p as u32;
            let ok = p32 & all == all && p32 & none == 0 && any.is_none_or(|a| p32 & a != 0);
            if !ok {
                b.flags[p / 64] &= !(1u64 << (p % 64));
            }
        }
        Ok(b)
    }
}

impl Definitions {
    /// Parses and validates a definitions file; `source_name` names it in errors.
    pub fn from_toml(source_name: &str, text: &str) -> Result<Definitions, DefinitionError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let start = e.span().map_or(0, |s| s.start);
            DefinitionError::Parse {
                source_name: source_name.to_string(),
                line: line_of(text, start),
                message: e.message().to_string(),
            }
        })?;
        let cx = Ctx {
            source: source_name,
            text,
        };
        let header = raw.definitions.get_ref();
        let name = cx.text_field("definitions.name", &header.name)?;
        if !is_identifier(&name.replace('-', "_")) {
            return cx.err(
                "definitions.name",
                header.name.span().start,
                "use lower-case letters, digits, '-' and '_'",
            );
        }
        let version = cx.text_field("definitions.version", &header.version)?;
        let description = cx.text_field("definitions.description", &header.description)?;

        // Flags in file order (BTreeMap sorts by name; keep the order of appearance).
        let mut flag_entries: Vec<(&Spanned<String>, &Spanned<RawFlag>)> =
            raw.flags.iter().collect();
        flag_entries.sort_by_key(|(k, _)| k.span().start);
        if flag_entries.len() > MAX_FLAGS {
            let span = flag_entries[MAX_FLAGS].0.span().start;
            return cx.err(
                "flags",
                span,
                format!("at most {MAX_FLAGS} flags may be declared"),
            );
        }
        let mut flags = Vec::new();
        for (k, v) in flag_entries {
            let key = format!("flags.{}", k.get_ref());
            if !is_identifier(k.get_ref()) {
                return cx.err(key, k.span().start, "a flag name must be lower-case letters, digits and '_', starting with a letter");
            }
            if crate::microdata::CORE_COLUMNS.contains(&k.get_ref().as_str()) {
                return cx.err(
                    key,
                    k.span().start,
                    "a flag cannot reuse a core column name",
                );
            }
            flags.push(FlagDef {
                name: k.get_ref().clone(),
                label: cx.text_field(&format!("{key}.label"), &v.get_ref().label)?,
                source: cx.text_field(&format!("{key}.source"), &v.get_ref().source)?,
            });
        }

        let segs = raw.segments.get_ref();
        if segs.is_empty() {
            return cx.err(
                "segments",
                raw.segments.span().start,
                "declare at least one [[segments]]",
            );
        }
        if segs.len() > MAX_SEGMENTS {
            return cx.err(
                "segments",
                segs[MAX_SEGMENTS].span().start,
                format!("at most {MAX_SEGMENTS} segments per file"),
            );
        }
        let mut segments: Vec<SegmentDef> = Vec::new();
        for (i, s) in segs.iter().enumerate() {
            let key = format!("segments[{i}]");
            let r = s.get_ref();
            let id = cx.text_field(&format!("{key}.id"), &r.id)?;
            if !is_identifier(&id) {
                return cx.err(
                    format!("{key}.id"),
                    r.id.span().start,
                    "an id must be lower-case letters, digits and '_', starting with a letter",
                );
            }
            if let Some(prev) = segments.iter().find(|p| p.id == id) {
                return cx.err(
                    format!("{key}.id"),
                    r.id.span().start,
                    format!(
                        "id '{id}' is already used by the segment on line {}",
                        prev.line
                    ),
                );
            }
            if let Some(src) = &r.source {
                cx.text_field(&format!("{key}.source"), src)?;
            }
            let base = cx.conditions(&format!("{key}.base"), r.base.get_ref(), &flags)?;
            if base.is_empty() {
                return cx.err(
                    format!("{key}.base"),
                    r.base.span().start,
                    "the base population can never contain anybody",
                );
            }
            let cond =
                cx.conditions(&format!("{key}.conditions"), r.conditions.get_ref(), &flags)?;
            let members = base.intersect(&cond);
            if members.is_empty() {
                return cx.err(
                    format!("{key}.conditions"),
                    r.conditions.span().start,
                    "base and conditions together can never match anybody",
                );
            }
            if members == base {
                return cx.err(format!("{key}.conditions"), r.conditions.span().start, "the conditions add nothing to the base: the segment would be the whole base population");
            }
            segments.push(SegmentDef {
                id,
                label: cx.text_field(&format!("{key}.label"), &r.label)?,
                description: cx.text_field(&format!("{key}.description"), &r.description)?,
                base_label: cx.text_field(&format!("{key}.base_label"), &r.base_label)?,
                base,
                members,
                line: line_of(text, s.span().start),
            });
        }
        Ok(Definitions {
            name,
            version,
            description,
            flags,
            segments,
        })
    }

    /// Whether any segment's base or members restrict `education`.
    pub fn uses_education(&self) -> bool {
        self.segments
            .iter()
            .any(|s| s.base.education != 0b1111 || s.members.education != 0b1111)
    }

    /// Whether any segment's base or members restrict `origin`.
    pub fn uses_origin(&self) -> bool {
        self.segments
            .iter()
            .any(|s| s.base.origin != 0b1111 || s.members.origin != 0b1111)
    }

    /// Whether flag `j` matters to any segment (its value changes some membership).
    pub fn uses_flag(&self, j: usize) -> bool {
        let n = 1usize << self.flags.len();
        self.segments.iter().any(|s| {
            [&s.base, &s.members]
                .iter()
                .any(|b| (0..n).any(|p| b.allows_pattern(p) != b.allows_pattern(p ^ (1 << j))))
        })
    }

    /// The segment with this id.
    pub fn segment(&self, id: &str) -> Option<&SegmentDef> {
        self.segments.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
[definitions]
name = "mini"
version = "1"
description = "test"

[flags.neet]
label = "not in employment, education or training"
source = "test"

[flags.alone]
label = "lives alone"
source = "test"

[[segments]]
id = "neet_16_24"
label = "NEET 16-24"
description = "young people outside work and education"
base_label = "residents aged 16-24"
base = { age = [16, 24] }
conditions = { all_flags = ["neet"] }
"#;

    #[test]
    fn a_valid_file_becomes_boxes() {
        let d = Definitions::from_toml("mini.toml", MINI).unwrap();
        let s = &d.segments[0];
        assert_eq!(s.line, 15);
        assert!(s.members.is_subset_of(&s.base));
        assert!(!s.base.is_subset_of(&s.members));
        assert_eq!(s.base.age, ((1u128 << 9) - 1) << 16);
        // patterns: bit0 = neet, bit1 = alone; members allow 0b01 and 0b11
        assert!(s.members.allows_pattern(1) && s.members.allows_pattern(3));
        assert!(!s.members.allows_pattern(0) && !s.members.allows_pattern(2));
        assert!(d.uses_flag(0) && !d.uses_flag(1));
        assert!(!d.uses_education());
        // base minus members is a box (differs in flags only): the non-NEET 16-24
        let rest = s.base.minus(&s.members).unwrap();
        assert!(rest.allows_pattern(0) && rest.allows_pattern(2) && !rest.allows_pattern(1));
    }

    fn err_of(text: &str) -> String {
        Definitions::from_toml("x.toml", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_key_and_line() {
        let e = err_of(&MINI.replace("age = [16, 24]", "age = [24, 16]"));
        assert_eq!(
            e,
            "x.toml:20: key 'segments[0].base.age': age range [24, 16] is invalid: need 0 <= min <= max <= 125"
        );
        let e = err_of(&MINI.replace("all_flags = [\"neet\"]", "all_flags = [\"net\"]"));
        assert!(
            e.starts_with(
                "x.toml:21: key 'segments[0].conditions.all_flags': flag 'net' is not declared"
            ),
            "{e}"
        );
        let e = err_of(&MINI.replace("base_label", "base_lable"));
        assert!(
            e.starts_with("x.toml:19:") && e.contains("unknown field `base_lable`"),
            "{e}"
        );
        let e = err_of(&MINI.replace("all_flags = [\"neet\"]", "age = [16, 24]"));
        assert!(
            e.contains("segments[0].conditions") && e.contains("add nothing"),
            "{e}"
        );
        let e = err_of(&MINI.replace(
            "all_flags = [\"neet\"]",
            "all_flags = [\"neet\"], no_flags = [\"neet\"]",
        ));
        assert!(e.contains("both required"), "{e}");
        let e = err_of(&MINI.replace("{ age = [16, 24] }", "{ age = [16, 24], sex = [\"male\"] }"));
        assert!(
            e.contains("key 'segments[0].base.sex': unknown value 'male'"),
            "{e}"
        );
        let twice = format!("{MINI}\n{}", &MINI[MINI.find("[[segments]]").unwrap()..]);
        let e = err_of(&twice);
        assert!(
            e.contains("id 'neet_16_24' is already used by the segment on line 15"),
            "{e}"
        );
    }

    #[test]
    fn subset_and_minus_are_exact() {
        let mut a = SetBox::everyone(2);
        a.age = 0b1111 << 10;
        let mut b = a.clone();
        b.sex = 0b01;
        assert!(b.is_subset_of(&a) && !a.is_subset_of(&b));
        assert_eq!(a.minus(&b).unwrap().sex, 0b10);
        let mut c = b.clone();
        c.age = 0b11 << 10;
        assert!(c.is_subset_of(&a));
        assert!(
            a.minus(&c).is_none(),
            "differs in two attributes: not a box"
        );
    }
}
